//! Byte searches over the short spans of a log line.
//!
//! memchr is built for long haystacks: each call chooses a routine and sets
//! up 32-byte vectors, about 50 instructions before the first byte, and the
//! fields of an access log line (`"-"`, a status, a request of 40 bytes) are
//! short. These go sixteen bytes a step (one SSE2 compare per wanted byte
//! and a movemask on x86_64, as safe functions from safe_arch; plain loops
//! elsewhere): [`find2`] over the first [`NEAR`] bytes, handing a longer
//! haystack to memchr; [`find_any`] over the whole of a request's words,
//! which memchr cannot search for more than three bytes; [`mask16`] for
//! one step of a caller's own loop.

/// How far the sixteen-byte steps go before memchr takes over.
const NEAR: usize = 64;

/// The first `a` or `b` in `hay`.
#[inline]
pub(crate) fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    let near = hay.len().min(NEAR);
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use safe_arch::{
            bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i,
            set_splat_i8_m128i,
        };
        let (va, vb) = (set_splat_i8_m128i(a as i8), set_splat_i8_m128i(b as i8));
        while let Some(chunk) = hay.get(i..i + 16).filter(|_| i < near) {
            let Ok(bytes) = <&[u8; 16]>::try_from(chunk) else {
                break;
            };
            let v = load_unaligned_m128i(bytes);
            let mask = move_mask_i8_m128i(bitor_m128i(
                cmp_eq_mask_i8_m128i(v, va),
                cmp_eq_mask_i8_m128i(v, vb),
            ));
            if mask != 0 {
                return Some(i + mask.trailing_zeros() as usize);
            }
            i += 16;
        }
    }
    if hay.len() - i > NEAR {
        return memchr::memchr2(a, b, &hay[i..]).map(|at| i + at);
    }
    hay[i..]
        .iter()
        .position(|c| *c == a || *c == b)
        .map(|at| i + at)
}

/// The first byte of `hay` that is one of `needles`: sixteen bytes a step
/// (an SSE2 compare per needle, one movemask), the last few one by one.
/// For the words of a request, whose ends are found among several bytes.
#[inline]
pub(crate) fn find_any<const N: usize>(hay: &[u8], needles: [u8; N]) -> Option<usize> {
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use safe_arch::{
            bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i,
            set_splat_i8_m128i, zeroed_m128i,
        };
        let wanted = needles.map(|n| set_splat_i8_m128i(n as i8));
        while let Some(bytes) = hay
            .get(i..i + 16)
            .and_then(|c| <&[u8; 16]>::try_from(c).ok())
        {
            let v = load_unaligned_m128i(bytes);
            let any = wanted.iter().fold(zeroed_m128i(), |acc, n| {
                bitor_m128i(acc, cmp_eq_mask_i8_m128i(v, *n))
            });
            let mask = move_mask_i8_m128i(any);
            if mask != 0 {
                return Some(i + mask.trailing_zeros() as usize);
            }
            i += 16;
        }
    }
    hay[i..]
        .iter()
        .position(|c| needles.contains(c))
        .map(|at| i + at)
}

/// Bit `i` set for each byte `i` of `bytes` that is `a`.
#[inline]
pub(crate) fn mask16(bytes: &[u8; 16], a: u8) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        use safe_arch::{
            cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i, set_splat_i8_m128i,
        };
        let v = load_unaligned_m128i(bytes);
        move_mask_i8_m128i(cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(a as i8))) as u32
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        bytes
            .iter()
            .enumerate()
            .fold(0, |m, (i, b)| m | (u32::from(*b == a) << i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Whatever the length (short, past the sixteen-byte steps, past
        /// memchr's hand-over), the first of either byte.
        #[test]
        fn find2_finds_the_first_of_either(
            hay in proptest::collection::vec(proptest::sample::select(b"ab\"\\ x".to_vec()), 0..200),
            fill in 0usize..150,
        ) {
            // A run of plain bytes first, so the needles also sit far in.
            let mut text = vec![b'x'; fill];
            text.extend(hay);
            let want = text.iter().position(|c| *c == b'"' || *c == b'\\');
            proptest::prop_assert_eq!(find2(&text, b'"', b'\\'), want);
            proptest::prop_assert_eq!(find2(&text, b'a', b'a'), text.iter().position(|c| *c == b'a'));
        }
    }

    proptest::proptest! {
        /// The first of any of the needles, at any length.
        #[test]
        fn find_any_finds_the_first_of_any(
            hay in proptest::collection::vec(proptest::sample::select(b"ab?# \t\r\x0b/".to_vec()), 0..80),
        ) {
            let needles = [b' ', b'\t', b'\r', b'?', b'#'];
            let want = hay.iter().position(|c| needles.contains(c));
            proptest::prop_assert_eq!(find_any(&hay, needles), want);
        }
    }

    #[test]
    fn mask16_marks_each_match() {
        let mut bytes = [b'x'; 16];
        bytes[0] = b'\\';
        bytes[9] = b'\\';
        bytes[15] = b'\\';
        assert_eq!(mask16(&bytes, b'\\'), 1 | 1 << 9 | 1 << 15);
        assert_eq!(mask16(&[0; 16], b'\\'), 0);
    }

    #[test]
    fn edges() {
        assert_eq!(find2(b"", b'a', b'b'), None);
        assert_eq!(find2(&[b'x'; 16], b'a', b'b'), None);
        let mut at_15 = [b'x'; 16];
        at_15[15] = b'b';
        assert_eq!(find2(&at_15, b'a', b'b'), Some(15));
        let mut far = vec![b'x'; 300];
        far[299] = b'a';
        assert_eq!(find2(&far, b'a', b'a'), Some(299));
    }
}
