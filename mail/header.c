/*
 * Copyright (c) 2026 The syncmail authors
 * SPDX-License-Identifier: ISC (the text is in LICENSE)
 */

#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "mail/header.h"
#include "mail/utf8.h"

#define CHARSET_MAX	40	/* bytes of a charset name we look up */

static const uint8_t replacement[] = { 0xef, 0xbf, 0xbd };	/* U+FFFD */

/* A value being written: never more than size - 1 bytes, then a NUL. */
struct out {
	char		*buf;
	size_t		 size;
	size_t		 len;
	int		 cut;	/* a character did not fit: stop there */
};

enum charset_kind {
	CS_NONE,	/* no charset open */
	CS_UTF8,	/* UTF-8 or US-ASCII: the bytes are checked, not converted */
	CS_ICONV
};

/*
 * Adjacent encoded words of one charset, decoded but not yet converted:
 * converting them together keeps a character that a mailer split
 * between two words.  cd is open while kind is CS_ICONV, and is closed
 * by decoder_close.
 */
struct decoder {
	int		 kind;		/* enum charset_kind */
	iconv_t		 cd;
	char		 charset[CHARSET_MAX + 1];
	uint8_t		 buf[HEADER_WORD_MAX];
	size_t		 len;
};

static int
is_wsp(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* White space at a value's ends: line ends too, as unfolding drops them. */
static int
is_trim(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Whether the n bytes of a equal the C string b, ASCII case ignored. */
static int
ascii_caseeq(const uint8_t *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] == '\0' || ascii_lower(a[i]) != ascii_lower(b[i]))
			return 0;
	return b[n] == '\0';
}

int
header_find(const uint8_t *msg, size_t len, struct header *h,
    struct error *err)
{
	/* One byte past the bound is enough to know a line runs over it. */
	size_t scan = len < HEADER_MAX + 1 ? len : HEADER_MAX + 1, p = 0;
	const uint8_t *nl;

	memset(h, 0, sizeof(*h));
	h->msg = msg;
	while (p < len) {
		if (p > HEADER_MAX)
			goto large;
		if (msg[p] == '\n' || (msg[p] == '\r' && p + 1 < len &&
		    msg[p + 1] == '\n')) {
			h->len = p;
			h->body = p + (msg[p] == '\r' ? 2 : 1);
			return 0;
		}
		if ((nl = memchr(msg + p, '\n', scan - p)) == NULL) {
			if (len > HEADER_MAX)
				goto large;
			break;
		}
		p = (size_t)(nl - msg) + 1;
	}
	/* No empty line: the whole message is its header section. */
	if (len > HEADER_MAX)
		goto large;
	h->len = h->body = len;
	return 0;
large:
	h->len = h->body = 0;
	return error_set(err, ERR_MAILBOX, "header section over %d bytes",
	    HEADER_MAX);
}

/* The index of the LF that ends the line at p, or end. */
static size_t
line_end(const uint8_t *m, size_t p, size_t end)
{
	const uint8_t *nl = memchr(m + p, '\n', end - p);

	return nl == NULL ? end : (size_t)(nl - m);
}

int
header_next(struct header *h, struct header_field *f)
{
	const uint8_t *m = h->msg;
	size_t end = h->len, start, e, colon, n, i;

	while (h->pos < end) {
		/* A field is its line and every continuation line after it. */
		start = h->pos;
		e = line_end(m, start, end);
		h->pos = e < end ? e + 1 : end;
		while (h->pos < end && is_wsp(m[h->pos])) {
			e = line_end(m, h->pos, end);
			h->pos = e < end ? e + 1 : end;
		}
		/* A continuation line with no field before it. */
		if (is_wsp(m[start]))
			continue;
		colon = start;
		while (colon < e && m[colon] != ':')
			colon++;
		if (colon == e)
			continue;
		n = colon;
		while (n > start && is_wsp(m[n - 1]))
			n--;
		for (i = start; i < n; i++)
			if (m[i] < 33 || m[i] > 126)
				break;
		if (n == start || i < n)
			continue;
		/* The last line's CR, when the line ends in CR LF. */
		if (e < end && e > colon + 1 && m[e - 1] == '\r')
			e--;
		f->name = m + start;
		f->namelen = n - start;
		f->raw = m + colon + 1;
		f->rawlen = e - colon - 1;
		return 1;
	}
	return 0;
}

int
header_is(const struct header_field *f, const char *name)
{
	return ascii_caseeq(f->name, f->namelen, name);
}

/* Appends one character of n bytes, or notes that it did not fit. */
static void
out_char(struct out *o, const uint8_t *c, size_t n)
{
	if (o->cut || o->len + n >= o->size) {
		o->cut = 1;
		return;
	}
	memcpy(o->buf + o->len, c, n);
	o->len += n;
}

/*
 * Appends n bytes as valid UTF-8: NUL, and each byte that does not start
 * a valid sequence, become U+FFFD.
 */
static void
out_text(struct out *o, const uint8_t *s, size_t n)
{
	size_t i = 0, k;

	while (i < n && !o->cut) {
		k = utf8_seq(s + i, n - i);
		if (k == 0 || s[i] == '\0') {
			out_char(o, replacement, sizeof(replacement));
			i++;
		} else {
			out_char(o, s + i, k);
			i += k;
		}
	}
}

/* Converts and appends the decoded words held, and empties d. */
static void
decoder_flush(struct decoder *d, struct out *o)
{
	char tmp[1024], *in, *op;
	size_t inleft, oleft, r;

	if (d->len == 0)
		return;
	if (d->kind != CS_ICONV) {
		out_text(o, d->buf, d->len);
		d->len = 0;
		return;
	}
	in = (char *)d->buf;
	inleft = d->len;
	iconv(d->cd, NULL, NULL, NULL, NULL);
	while (inleft > 0 && !o->cut) {
		op = tmp;
		oleft = sizeof(tmp);
		r = iconv(d->cd, &in, &inleft, &op, &oleft);
		out_text(o, (uint8_t *)tmp, (size_t)(op - tmp));
		if (r != (size_t)-1 || (errno == E2BIG && op != tmp))
			continue;
		/*
		 * A byte the charset has no character for (EILSEQ), or a
		 * sequence cut short at the end (EINVAL): one U+FFFD for the
		 * byte, and on with the next.
		 */
		out_char(o, replacement, sizeof(replacement));
		in++;
		inleft--;
		iconv(d->cd, NULL, NULL, NULL, NULL);
	}
	d->len = 0;
}

static void
decoder_close(struct decoder *d)
{
	if (d->kind == CS_ICONV)
		iconv_close(d->cd);
	d->kind = CS_NONE;
	d->charset[0] = '\0';
}

/*
 * Makes the charset of n bytes at cs the decoder's, converting what it
 * holds of another first.  Returns 0, or -1 when iconv does not know
 * the charset (the word then stays as it is).
 */
static int
decoder_charset(struct decoder *d, struct out *o, const uint8_t *cs,
    size_t n)
{
	if (d->kind != CS_NONE && ascii_caseeq(cs, n, d->charset))
		return 0;
	decoder_flush(d, o);
	decoder_close(d);
	memcpy(d->charset, cs, n);
	d->charset[n] = '\0';
	if (ascii_caseeq(cs, n, "utf-8") || ascii_caseeq(cs, n, "us-ascii")) {
		d->kind = CS_UTF8;
		return 0;
	}
	if ((d->cd = iconv_open("UTF-8", d->charset)) == (iconv_t)-1) {
		d->charset[0] = '\0';
		return -1;
	}
	d->kind = CS_ICONV;
	return 0;
}

static int
b64_value(uint8_t c)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(alphabet, c) : NULL;

	return p != NULL ? (int)(p - alphabet) : -1;
}

static int
hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (uint8_t)ascii_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decodes n bytes of base64 into out (room for n * 3 / 4 bytes).  Up to
 * two "=" may end it, and may be missing, as mailers write it.  Returns
 * the decoded length, or -1 when it is malformed.
 */
static long
decode_b(const uint8_t *s, size_t n, uint8_t *out)
{
	uint32_t acc = 0;
	size_t i, bits = 0, len = 0, digits = 0, pad = 0;
	int v;

	for (i = 0; i < n; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(s[i])) < 0)
			return -1;
		digits++;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (uint8_t)(acc >> bits);
		}
	}
	if (pad > 2 || digits % 4 == 1)
		return -1;
	return (long)len;
}

/*
 * Decodes n bytes of RFC 2047's Q encoding into out (room for n bytes).
 * Returns the decoded length, or -1 when an "=" is not followed by two
 * hex digits.
 */
static long
decode_q(const uint8_t *s, size_t n, uint8_t *out)
{
	size_t i, len = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '_')
			out[len++] = ' ';
		else if (s[i] != '=')
			out[len++] = s[i];
		else {
			if (i + 2 >= n || (hi = hex_value(s[i + 1])) < 0 ||
			    (lo = hex_value(s[i + 2])) < 0)
				return -1;
			out[len++] = (uint8_t)(hi << 4 | lo);
			i += 2;
		}
	}
	return (long)len;
}

static int
is_charset_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == ':' || c == '+';
}

/*
 * Decodes the encoded word at m[i] (m[i] is "=", m[i + 1] "?"; the value
 * ends at e) into d, and sets *next past it.  Returns 1, or 0 when there
 * is no valid word there, or its charset is unknown, or it is too long:
 * then it stays as it is.
 */
static int
decode_word(struct decoder *d, struct out *o, const uint8_t *m, size_t i,
    size_t e, size_t *next)
{
	size_t cs = i + 2, csend, lang, k, enc, text, tend, room;
	long n;

	for (csend = cs; csend < e && m[csend] != '?'; csend++)
		;
	/* charset*language (RFC 2231): the language is not needed. */
	for (lang = cs; lang < csend && m[lang] != '*'; lang++)
		if (!is_charset_byte(m[lang]))
			return 0;
	for (k = lang + 1; k < csend; k++)
		if (!is_charset_byte(m[k]))
			return 0;
	if (lang == cs || lang - cs > CHARSET_MAX || csend + 2 >= e ||
	    m[csend + 2] != '?')
		return 0;
	enc = ascii_lower(m[csend + 1]);
	if (enc != 'b' && enc != 'q')
		return 0;
	text = csend + 3;
	for (tend = text; tend < e && m[tend] > 32 && m[tend] < 127 &&
	    m[tend] != '?'; tend++)
		;
	if (tend + 1 >= e || m[tend] != '?' || m[tend + 1] != '=')
		return 0;
	/* What it decodes to at most, base64's padding not counted. */
	room = tend - text;
	if (enc == 'b') {
		for (k = tend; k > text && m[k - 1] == '='; k--)
			;
		room = (k - text) * 3 / 4;
	}
	if (room > sizeof(d->buf))
		return 0;
	if (decoder_charset(d, o, m + cs, lang - cs) == -1)
		return 0;
	if (d->len + room > sizeof(d->buf))
		decoder_flush(d, o);
	n = enc == 'b' ? decode_b(m + text, tend - text, d->buf + d->len) :
	    decode_q(m + text, tend - text, d->buf + d->len);
	if (n < 0)
		return 0;
	d->len += (size_t)n;
	*next = tend + 2;
	return 1;
}

/* Appends the white space of m[s..e), the line ends in it removed. */
static void
out_space(struct out *o, const uint8_t *m, size_t s, size_t e)
{
	for (; s < e; s++)
		if (is_wsp(m[s]))
			out_char(o, m + s, 1);
}

int
header_value(const struct header_field *f, char *buf, size_t size)
{
	struct decoder d;
	struct out o;
	const uint8_t *m = f->raw;
	size_t s = 0, e = f->rawlen, i, next, ws = 0, wsend = 0, k;
	int after_word = 0;

	if (size == 0)
		return 1;
	o.buf = buf;
	o.size = size;
	o.len = 0;
	o.cut = 0;
	d.kind = CS_NONE;
	d.len = 0;
	d.charset[0] = '\0';
	while (s < e && is_trim(m[s]))
		s++;
	while (e > s && is_trim(m[e - 1]))
		e--;
	for (i = s; i < e && !o.cut; ) {
		/*
		 * White space, with the line ends of folding in it (always
		 * followed by white space inside a field): held until what
		 * follows says whether it stays.
		 */
		if (is_wsp(m[i]) || m[i] == '\n' ||
		    (m[i] == '\r' && i + 1 < e && m[i + 1] == '\n')) {
			if (ws == wsend)
				ws = i;
			wsend = ++i;
			continue;
		}
		if (m[i] == '=' && i + 1 < e && m[i + 1] == '?' &&
		    decode_word(&d, &o, m, i, e, &next)) {
			/* Between two encoded words, white space goes. */
			if (!after_word)
				out_space(&o, m, ws, wsend);
			ws = wsend = 0;
			after_word = 1;
			i = next;
			continue;
		}
		decoder_flush(&d, &o);
		out_space(&o, m, ws, wsend);
		ws = wsend = 0;
		after_word = 0;
		k = utf8_seq(m + i, e - i);
		out_text(&o, m + i, k ? k : 1);
		i += k ? k : 1;
	}
	decoder_flush(&d, &o);
	decoder_close(&d);
	buf[o.len] = '\0';
	return o.cut;
}

int
header_next_value(struct header *h, const char *name, char *buf,
    size_t size)
{
	struct header_field f;

	while (header_next(h, &f))
		if (header_is(&f, name)) {
			header_value(&f, buf, size);
			return 1;
		}
	if (size > 0)
		buf[0] = '\0';
	return 0;
}
