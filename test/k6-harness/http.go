package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/grafana/sobek"
)

// vuHTTP is a VU's HTTP client: its own connection pool, as each k6 VU has, closed after every
// request when the test sets noConnectionReuse.
type vuHTTP struct {
	vu     *VU
	client *http.Client
}

func newVUHTTP(vu *VU) *vuHTTP {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 60 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 1000,
		DisableCompression:  true,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
		DisableKeepAlives:   vu.run.opts.NoConnectionReuse,
	}
	return &vuHTTP{vu: vu, client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (vu *VU) httpModule() map[string]sobek.Value {
	rt := vu.rt
	method := func(m string, hasBody bool) sobek.Value {
		return rt.ToValue(func(call sobek.FunctionCall) sobek.Value {
			var body, params sobek.Value = sobek.Undefined(), call.Argument(1)
			if hasBody {
				body, params = call.Argument(1), call.Argument(2)
			}
			return vu.http.request(m, call.Argument(0).String(), body, params)
		})
	}
	named := map[string]sobek.Value{
		"get":     method("GET", false),
		"head":    method("HEAD", false),
		"post":    method("POST", true),
		"put":     method("PUT", true),
		"patch":   method("PATCH", true),
		"del":     method("DELETE", true),
		"options": method("OPTIONS", true),
		"request": rt.ToValue(func(call sobek.FunctionCall) sobek.Value {
			return vu.http.request(strings.ToUpper(call.Argument(0).String()), call.Argument(1).String(), call.Argument(2), call.Argument(3))
		}),
	}
	return withDefault(rt, named, nil)
}

// k6's error codes (k6-docs javascript-api/error-codes).
const (
	errGeneric     = 1000
	errDNS         = 1100
	errDialTimeout = 1211
	errRefused     = 1212
	errTimeout     = 1050
)

func classify(err error) (int, string) {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return errRefused, "dial: connection refused"
	case errors.Is(err, context.DeadlineExceeded):
		return errTimeout, "request timeout"
	case errors.As(err, &ne) && ne.Timeout():
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return errDialTimeout, "dial: i/o timeout"
		}
		return errTimeout, "request timeout"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return errDNS, "lookup: " + dns.Err
	}
	return errGeneric, err.Error()
}

func parseTimeout(v sobek.Value) (time.Duration, bool) {
	if v == nil || sobek.IsUndefined(v) || sobek.IsNull(v) {
		return 0, false
	}
	if s, ok := v.Export().(string); ok {
		d, err := time.ParseDuration(s)
		if err != nil {
			if n, err2 := strconv.ParseFloat(s, 64); err2 == nil {
				return time.Duration(n * float64(time.Millisecond)), true
			}
			return 0, false
		}
		return d, true
	}
	return time.Duration(v.ToFloat() * float64(time.Millisecond)), true
}

// request sends one request for real and waits for it, as k6's http functions block the VU;
// it emits the http_req_* samples k6 emits for every request (k6-docs using-k6/metrics/reference).
func (h *vuHTTP) request(method, url string, body, params sobek.Value) sobek.Value {
	vu := h.vu
	rt := vu.rt
	if vu.stage == stageInit {
		vu.throw("Making http requests in the init context is not supported")
	}
	timeout := 60 * time.Second
	headers := map[string]string{}
	var reqTags map[string]string
	var responseType = ""
	if p, ok := params.(*sobek.Object); ok {
		if d, ok := parseTimeout(p.Get("timeout")); ok {
			timeout = d
		}
		if ho, ok := p.Get("headers").(*sobek.Object); ok {
			for _, k := range ho.Keys() {
				headers[k] = ho.Get(k).String()
			}
		}
		reqTags = tagsArg(p.Get("tags"))
		if rtv := p.Get("responseType"); rtv != nil && !sobek.IsUndefined(rtv) {
			responseType = rtv.String()
		}
	}
	var reader io.Reader
	if body != nil && !sobek.IsUndefined(body) && !sobek.IsNull(body) {
		reader = strings.NewReader(body.String())
	}
	ctx, cancel := context.WithTimeout(vu.ctx, timeout)
	defer cancel()

	var t struct{ start, gotConn, connStart, connDone, tlsStart, tlsDone, wrote, firstByte, end time.Time }
	reused := false
	trace := &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			t.gotConn = time.Now()
			reused = info.Reused
		},
		ConnectStart:         func(string, string) { t.connStart = time.Now() },
		ConnectDone:          func(string, string, error) { t.connDone = time.Now() },
		TLSHandshakeStart:    func() { t.tlsStart = time.Now() },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { t.tlsDone = time.Now() },
		WroteRequest:         func(httptrace.WroteRequestInfo) { t.wrote = time.Now() },
		GotFirstResponseByte: func() { t.firstByte = time.Now() },
	}
	res := rt.NewObject()
	status, proto := 0, ""
	errCode, errMsg := 0, ""
	respHeaders := rt.NewObject()
	var respBody sobek.Value = sobek.Null()

	t.start = time.Now()
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), method, url, reader)
	if err == nil {
		req.Header.Set("User-Agent", "k6-harness (leakbench test/k6-harness)")
		for k, v := range headers {
			if strings.EqualFold(k, "host") {
				req.Host = v
				continue
			}
			req.Header.Set(k, v)
		}
		if strings.EqualFold(headers["Connection"], "close") {
			req.Close = true
		}
		var resp *http.Response
		resp, err = h.client.Do(req)
		if err == nil {
			var b []byte
			b, err = io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			status, proto = resp.StatusCode, resp.Proto
			for k := range resp.Header {
				_ = respHeaders.Set(http.CanonicalHeaderKey(k), resp.Header.Get(k))
			}
			if err == nil && !vu.run.opts.DiscardResponseBodies && responseType != "none" {
				respBody = rt.ToValue(string(b))
			}
		}
	}
	t.end = time.Now()
	if err != nil {
		status = 0
		errCode, errMsg = classify(err)
	}

	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	span := func(a, b time.Time) float64 {
		if a.IsZero() || b.IsZero() || b.Before(a) {
			return 0
		}
		return ms(b.Sub(a))
	}
	sendStart := t.gotConn
	if sendStart.IsZero() {
		sendStart = t.start
	}
	blocked := span(t.start, t.gotConn)
	connecting := span(t.connStart, t.connDone)
	tlsHs := span(t.tlsStart, t.tlsDone)
	// Go's transport may start a dial for a request and then hand it an idle connection that came
	// back meanwhile: that dial is not this request's, and its connection time is 0 as in k6.
	if reused {
		connecting, tlsHs = 0, 0
	}
	sending := span(sendStart, t.wrote)
	waiting := span(t.wrote, t.firstByte)
	receiving := span(t.firstByte, t.end)
	duration := sending + waiting + receiving
	if err != nil && duration == 0 {
		duration = span(sendStart, t.end)
	}

	tags := vu.tags(nil)
	tags["method"] = method
	tags["url"] = url
	tags["name"] = url
	tags["status"] = strconv.Itoa(status)
	tags["proto"] = proto
	expected := status >= 200 && status < 400
	tags["expected_response"] = strconv.FormatBool(expected)
	if errCode != 0 {
		tags["error"] = errMsg
		tags["error_code"] = strconv.Itoa(errCode)
	}
	for k, v := range reqTags {
		tags[k] = v
	}
	r := vu.run
	r.emit("http_reqs", 1, tags, t.end)
	r.emit("http_req_duration", duration, tags, t.end)
	r.emit("http_req_blocked", blocked, tags, t.end)
	r.emit("http_req_connecting", connecting, tags, t.end)
	r.emit("http_req_tls_handshaking", tlsHs, tags, t.end)
	r.emit("http_req_sending", sending, tags, t.end)
	r.emit("http_req_waiting", waiting, tags, t.end)
	r.emit("http_req_receiving", receiving, tags, t.end)
	failed := 1.0
	if expected {
		failed = 0
	}
	r.emit("http_req_failed", failed, tags, t.end)

	timings := rt.NewObject()
	for k, v := range map[string]float64{"duration": duration, "blocked": blocked, "connecting": connecting, "tls_handshaking": tlsHs, "sending": sending, "waiting": waiting, "receiving": receiving} {
		_ = timings.Set(k, v)
	}
	_ = res.Set("status", status)
	_ = res.Set("proto", proto)
	_ = res.Set("url", url)
	_ = res.Set("headers", respHeaders)
	_ = res.Set("body", respBody)
	_ = res.Set("error", errMsg)
	_ = res.Set("error_code", errCode)
	_ = res.Set("timings", timings)
	return res
}
