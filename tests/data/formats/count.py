"""Counts requests, malformed lines, statuses and first/last times of the
sample files here, apart from faultline, from each format's documentation.
tests/cli/formats.rs quotes these functions; run `python3 count.py` here to
see the numbers its tests assert."""
import re, json, sys, collections, datetime
def report(name, reqs, bad):
    st = collections.Counter(s for s, t in reqs)
    ts = sorted(t for s, t in reqs)
    print(name, len(reqs), bad, dict(sorted(st.items())), ts[0] if ts else None, ts[-1] if ts else None)

def lines(f): return [l.rstrip('\r\n') for l in open(f, encoding='utf-8', errors='replace') if l.strip()]
tok = re.compile(r'"(?:[^"\\]|\\.)*"|\S+')

def alb(f):  # AWS docs: type time elb client:port target:port rpt tpt rspt elb_status target_status ... "request" "ua" ... "trace_id"
    reqs, bad = [], 0
    for l in lines(f):
        t = tok.findall(l)
        if len(t) >= 18 and t[0] in ('http','https','h2','grpcs','ws','wss') and all(t[i][0] == '"' for i in (12, 13, 17)):
            reqs.append((int(t[8]), t[1]))
        else: bad += 1
    return reqs, bad

def elb(f):  # AWS docs: time elb client:port backend:port rpt bpt rspt elb_status backend_status rcv sent "request" "ua" cipher proto
    reqs, bad = [], 0
    for l in lines(f):
        t = tok.findall(l)
        if len(t) >= 13 and re.match(r'\d{4}-', t[0]) and t[7] != '-': reqs.append((int(t[7]), t[0]))
        else: bad += 1
    return reqs, bad

def w3c(f, sep):  # W3C: '#Fields:' names the columns of the lines after it; '#' lines are directives
    reqs, bad, cols = [], 0, None
    for l in lines(f):
        if l.startswith('#'):
            if l.startswith('#Fields:'): cols = l[8:].split()
            continue
        v = l.split('\t') if sep == 'tab' else re.findall(r'"[^"]*"|[^ ]+', l)
        if cols is None or len(v) != len(cols): bad += 1; continue
        r = dict(zip(cols, v))
        if r['sc-status'] == '000' or not (100 <= int(r['sc-status']) <= 599): bad += 1; continue
        d, t = (r['date'], r['time']) if 'date' in r else (r['date-local'], r['time-local'])
        reqs.append((int(r['sc-status']), d + 'T' + t))
    return reqs, bad

MON = {m: i for i, m in enumerate('Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(), 1)}
def haproxy(f):  # HAProxy docs 8.2.3 httplog: client:port [accept_date] fe be/srv TR/Tw/Tc/Tr/Ta status bytes ... "request"
    reqs, bad = [], 0
    rx = re.compile(r'(?:(\S+):(\d+) )?\[([^\]]*)\] \S+ \S+(?: \S+)? [-+\d]+/[-+\d]+/[-+\d]+/[-+\d]+/[-+\d]+ (\d{3}) .*"([^"]*)"')
    for l in lines(f):
        m = rx.search(l)
        if not m: bad += 1; continue
        d = m.group(3)
        if d:
            dd = re.match(r'(\d\d)/(\w\w\w)/(\d{4}):(\d\d:\d\d:\d\d(?:\.\d+)?)', d)
            t = '%s-%02d-%sT%s' % (dd.group(3), MON[dd.group(2)], dd.group(1), dd.group(4))
        else:
            iso = re.match(r'(?:<\d+>1 )?(\d{4}-\d\d-\d\dT\S+)', l)
            if not iso: bad += 1; continue
            t = iso.group(1)
        reqs.append((int(m.group(4)), t))
    return reqs, bad

def envoy(f):  # Envoy default format: [START_TIME] "METHOD PATH PROTO" CODE FLAGS ...; JSON: start_time, response_code; code 0 = no response
    reqs, bad = [], 0
    for l in lines(f):
        if l.startswith('{'):
            o = json.loads(l)
            inner = o.get('log') or o.get('message')
            if isinstance(inner, str): l = inner.strip()
            else:
                c = o.get('response_code')
                if c and 100 <= c <= 599 and o.get('start_time'): reqs.append((c, o['start_time']))
                else: bad += 1
                continue
        m = re.search(r'\[(\d{4}-[^\]]+)\] "[^"]*" (\d+) ', l)
        if m and 100 <= int(m.group(2)) <= 599: reqs.append((int(m.group(2)), m.group(1)))
        else: bad += 1
    return reqs, bad

def gcp(f):  # Cloud Logging LogEntry: httpRequest.status, timestamp
    reqs, bad = [], 0
    for l in lines(f):
        o = json.loads(l); s = o.get('httpRequest', {}).get('status')
        if s and o.get('timestamp'): reqs.append((s, o['timestamp']))
        else: bad += 1
    return reqs, bad

def vhost(f):  # Apache vhost_combined: %v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"
    reqs, bad = [], 0
    for l in lines(f):
        m = re.match(r'[^ :]+:\d+ \S+ \S+ \S+ \[(\d\d)/(\w+)/(\d{4}):(\d\d:\d\d:\d\d) ([+-]\d{4})\] "[^"]*" (\d{3}) ', l)
        if not m: bad += 1; continue
        dt = datetime.datetime.strptime(m.group(1)+m.group(2)+m.group(3)+m.group(4)+m.group(5), '%d%b%Y%H:%M:%S%z')
        reqs.append((int(m.group(6)), dt.astimezone(datetime.timezone.utc).isoformat()))
    return reqs, bad

for f, fn in [('alb.log', alb), ('alb-odd.log', alb), ('elb-http.log', elb), ('elb-tcp.log', elb),
              ('cloudfront.log', lambda f: w3c(f, 'tab')), ('cloudfront-header-change.log', lambda f: w3c(f, 'tab')),
              ('iis.log', lambda f: w3c(f, 'space')), ('iis-7.5.log', lambda f: w3c(f, 'space')),
              ('w3c-httpapi.log', lambda f: w3c(f, 'space')), ('iis-advanced-local.log', lambda f: w3c(f, 'space')),
              ('haproxy.log', haproxy), ('haproxy-lnav.log', haproxy), ('haproxy-badreq.log', haproxy),
              ('haproxy-https.log', haproxy), ('haproxy-odd.log', haproxy),
              ('envoy.log', envoy), ('envoy-container.log', envoy), ('envoy-istio.jsonl', envoy),
              ('gcp_lb.jsonl', gcp), ('vhost_combined.log', vhost)]:
    report(f, *fn(f))
