package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sink holds every value of a metric (or of a submetric), enough for k6's summary values and
// thresholds; the harness runs small sizes, so keeping trend values is affordable.
type sink struct {
	count   int64
	sum     float64
	min     float64
	max     float64
	last    float64
	passes  int64
	values  []float64
	touched bool
}

func (s *sink) add(v float64) {
	if !s.touched {
		s.min, s.max = v, v
		s.touched = true
	}
	s.count++
	s.sum += v
	s.last = v
	s.min = math.Min(s.min, v)
	s.max = math.Max(s.max, v)
	if v != 0 {
		s.passes++
	}
}

type threshold struct {
	source string
	agg    string
	op     string
	value  float64
	ok     bool
}

type submetric struct {
	name       string // e.g. http_req_duration{phase_kind:idle}
	filter     map[string]string
	sink       sink
	thresholds []*threshold
}

type metric struct {
	name       string
	typ        string // counter, gauge, rate, trend
	contains   string // default, time
	sink       sink
	thresholds []*threshold
	subs       []*submetric
	announced  bool
}

type registry struct {
	mu      sync.Mutex
	metrics map[string]*metric
	order   []string
	out     *jsonOut
}

func newRegistry() *registry {
	r := &registry{metrics: map[string]*metric{}}
	for _, m := range [][3]string{
		{"vus", "gauge", "default"}, {"vus_max", "gauge", "default"},
		{"iterations", "counter", "default"}, {"iteration_duration", "trend", "time"}, {"dropped_iterations", "counter", "default"},
		{"checks", "rate", "default"},
		{"http_reqs", "counter", "default"}, {"http_req_failed", "rate", "default"},
		{"http_req_duration", "trend", "time"}, {"http_req_blocked", "trend", "time"}, {"http_req_connecting", "trend", "time"},
		{"http_req_tls_handshaking", "trend", "time"}, {"http_req_sending", "trend", "time"}, {"http_req_waiting", "trend", "time"},
		{"http_req_receiving", "trend", "time"},
	} {
		_ = r.declare(m[0], m[1], m[2])
	}
	return r
}

func (r *registry) declare(name, typ, contains string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.metrics[name]; ok {
		if m.typ != typ || m.contains != contains {
			return fmt.Errorf("metric '%s' already exists but with type %s, instead of %s", name, m.typ, typ)
		}
		return nil
	}
	r.metrics[name] = &metric{name: name, typ: typ, contains: contains}
	r.order = append(r.order, name)
	return nil
}

var thresholdExpr = regexp.MustCompile(`^\s*(count|rate|value|avg|min|max|med|p\(\d+(?:\.\d+)?\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$`)
var submetricKey = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)(?:\{(.*)\})?$`)

var aggsByType = map[string][]string{
	"counter": {"count", "rate"},
	"gauge":   {"value"},
	"rate":    {"rate"},
	"trend":   {"avg", "min", "max", "med", "p(N)"},
}

// setThresholds parses options.thresholds; k6 refuses an unknown metric or an aggregation its
// type has not (k6-docs using-k6/thresholds).
func (r *registry) setThresholds(th map[string][]string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]string, 0, len(th))
	for k := range th {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		m := submetricKey.FindStringSubmatch(key)
		if m == nil {
			return fmt.Errorf("invalid threshold defined on %s: not a metric name with an optional {tag:value} filter", key)
		}
		met, ok := r.metrics[m[1]]
		if !ok {
			return fmt.Errorf("invalid threshold defined on %s; reason: no metric name %q found", key, m[1])
		}
		var list []*threshold
		for _, src := range th[key] {
			e := thresholdExpr.FindStringSubmatch(src)
			if e == nil {
				return fmt.Errorf("invalid threshold defined on %s: cannot read %q", key, src)
			}
			agg := e[1]
			allowed := false
			for _, a := range aggsByType[met.typ] {
				if a == agg || (a == "p(N)" && strings.HasPrefix(agg, "p(")) {
					allowed = true
				}
			}
			if !allowed {
				return fmt.Errorf("invalid threshold defined on %s: aggregation method %q is not valid for a %s metric", key, agg, met.typ)
			}
			v, _ := strconv.ParseFloat(e[3], 64)
			list = append(list, &threshold{source: src, agg: agg, op: e[2], value: v, ok: true})
		}
		if m[2] == "" {
			met.thresholds = append(met.thresholds, list...)
			continue
		}
		filter := map[string]string{}
		for _, kv := range strings.Split(m[2], ",") {
			parts := strings.SplitN(kv, ":", 2)
			if len(parts) != 2 {
				return fmt.Errorf("invalid threshold defined on %s: the filter wants tag:value pairs", key)
			}
			filter[strings.TrimSpace(parts[0])] = strings.TrimSpace(parts[1])
		}
		met.subs = append(met.subs, &submetric{name: key, filter: filter, thresholds: list})
	}
	return nil
}

func (r *registry) record(name string, value float64, tags map[string]string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.metrics[name]
	if !ok {
		return
	}
	m.sink.add(value)
	if m.typ == "trend" {
		m.sink.values = append(m.sink.values, value)
	}
	for _, s := range m.subs {
		match := true
		for k, v := range s.filter {
			if tags[k] != v {
				match = false
				break
			}
		}
		if match {
			s.sink.add(value)
			if m.typ == "trend" {
				s.sink.values = append(s.sink.values, value)
			}
		}
	}
	if r.out != nil {
		if !m.announced {
			m.announced = true
			r.out.metric(m)
		}
		r.out.point(name, value, tags, at)
	}
}

// percentile interpolates between the two nearest ranks.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	if len(sorted) == 1 {
		return sorted[0]
	}
	pos := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}

func (s *sink) aggregate(typ, agg string, durationS float64) float64 {
	switch agg {
	case "count":
		return float64(s.count)
	case "rate":
		if typ == "counter" {
			if durationS <= 0 {
				return 0
			}
			return s.sum / durationS
		}
		if s.count == 0 {
			return 0
		}
		return float64(s.passes) / float64(s.count)
	case "value":
		return s.last
	case "min":
		return s.min
	case "max":
		return s.max
	case "avg":
		if s.count == 0 {
			return 0
		}
		return s.sum / float64(s.count)
	}
	sorted := append([]float64(nil), s.values...)
	sort.Float64s(sorted)
	if agg == "med" {
		return percentile(sorted, 50)
	}
	if strings.HasPrefix(agg, "p(") {
		p, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(agg, "p("), ")"), 64)
		return percentile(sorted, p)
	}
	return math.NaN()
}

func (t *threshold) evaluate(s *sink, typ string, durationS float64) {
	v := s.aggregate(typ, t.agg, durationS)
	switch t.op {
	case "<":
		t.ok = v < t.value
	case "<=":
		t.ok = v <= t.value
	case ">":
		t.ok = v > t.value
	case ">=":
		t.ok = v >= t.value
	case "==", "===":
		t.ok = v == t.value
	case "!=":
		t.ok = v != t.value
	}
}

// evaluateThresholds returns the crossed ones as "metric: expression".
func (r *registry) evaluateThresholds(durationS float64) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var crossed []string
	for _, name := range r.order {
		m := r.metrics[name]
		for _, t := range m.thresholds {
			t.evaluate(&m.sink, m.typ, durationS)
			if !t.ok {
				crossed = append(crossed, name+": "+t.source)
			}
		}
		for _, s := range m.subs {
			for _, t := range s.thresholds {
				t.evaluate(&s.sink, m.typ, durationS)
				if !t.ok {
					crossed = append(crossed, s.name+": "+t.source)
				}
			}
		}
	}
	return crossed
}

// summaryMetrics is handleSummary's data.metrics (k6-docs results-output/end-of-test/custom-summary).
func (r *registry) summaryMetrics(trendStats []string, durationS float64) map[string]interface{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]interface{}{}
	entry := func(typ, contains string, s *sink, th []*threshold) map[string]interface{} {
		values := map[string]float64{}
		switch typ {
		case "counter":
			values["count"] = s.sum
			values["rate"] = s.aggregate(typ, "rate", durationS)
		case "gauge":
			values["value"], values["min"], values["max"] = s.last, s.min, s.max
		case "rate":
			values["rate"] = s.aggregate(typ, "rate", durationS)
			values["passes"] = float64(s.passes)
			values["fails"] = float64(s.count - s.passes)
		case "trend":
			for _, st := range trendStats {
				values[st] = s.aggregate(typ, st, durationS)
			}
		}
		e := map[string]interface{}{"type": typ, "contains": contains, "values": values}
		if len(th) > 0 {
			ths := map[string]interface{}{}
			for _, t := range th {
				ths[t.source] = map[string]bool{"ok": t.ok}
			}
			e["thresholds"] = ths
		}
		return e
	}
	for _, name := range r.order {
		m := r.metrics[name]
		if m.sink.count == 0 && len(m.thresholds) == 0 {
			continue
		}
		out[name] = entry(m.typ, m.contains, &m.sink, m.thresholds)
		for _, s := range m.subs {
			out[s.name] = entry(m.typ, m.contains, &s.sink, s.thresholds)
		}
	}
	return out
}

// jsonOut writes k6's `--out json` stream: a "Metric" line the first time a metric appears, then
// one "Point" line per sample (k6-docs results-output/real-time/json).
type jsonOut struct {
	w   *bufio.Writer
	gz  *gzip.Writer
	f   io.Closer
	reg *registry
}

func openJSONOut(path string, reg *registry) (*jsonOut, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	o := &jsonOut{f: f, reg: reg}
	if strings.HasSuffix(path, ".gz") {
		o.gz = gzip.NewWriter(f)
		o.w = bufio.NewWriterSize(o.gz, 1<<16)
	} else {
		o.w = bufio.NewWriterSize(f, 1<<16)
	}
	return o, nil
}

type envelope struct {
	Type   string      `json:"type"`
	Data   interface{} `json:"data"`
	Metric string      `json:"metric"`
}

func (o *jsonOut) metric(m *metric) {
	th := []string{}
	for _, t := range m.thresholds {
		th = append(th, t.source)
	}
	o.write(envelope{Type: "Metric", Metric: m.name, Data: map[string]interface{}{
		"name": m.name, "type": m.typ, "contains": m.contains, "thresholds": th, "submetrics": nil,
	}})
}

type pointData struct {
	Time  time.Time         `json:"time"`
	Value float64           `json:"value"`
	Tags  map[string]string `json:"tags"`
}

func (o *jsonOut) point(name string, v float64, tags map[string]string, at time.Time) {
	o.write(envelope{Type: "Point", Metric: name, Data: pointData{Time: at, Value: v, Tags: tags}})
}

func (o *jsonOut) write(e envelope) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	_, _ = o.w.Write(b)
	_ = o.w.WriteByte('\n')
}

func (o *jsonOut) close() error {
	if err := o.w.Flush(); err != nil {
		return err
	}
	if o.gz != nil {
		if err := o.gz.Close(); err != nil {
			return err
		}
	}
	return o.f.Close()
}
