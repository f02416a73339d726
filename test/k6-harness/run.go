package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/sobek"
)

// Exit codes as k6 documents them (k6-docs javascript-api/... errors; grafana/k6 errext/exitcodes).
const (
	exitThresholds    = 99
	exitInvalidConfig = 104
	exitScript        = 107
	exitAborted       = 108
	exitMarkedFailed  = 110
)

type instanceState struct {
	vusActive             atomic.Int64
	vusInitialized        atomic.Int64
	iterationsCompleted   atomic.Int64
	iterationsInterrupted atomic.Int64
}

type checkCount struct{ passes, fails int64 }

type Run struct {
	script     string
	env        map[string]string
	runTags    map[string]string
	opts       options
	rawOptions interface{}
	metrics    *registry
	state      instanceState
	startedAt  time.Time
	stdout     *os.File

	mu          sync.Mutex
	idle        []*VU
	nextID      int
	checks      map[string]map[string]*checkCount // group → check name
	checkOrder  []string
	sourceMaps  map[string]bool
	aborted     string
	failed      string
	abortCtx    context.Context
	abortCancel context.CancelFunc
}

type harnessError struct {
	code int
	msg  string
}

func (e *harnessError) Error() string { return e.msg }

func (r *Run) logf(level, source, format string, args ...interface{}) {
	msg := fmt.Sprintf(format, args...)
	line := fmt.Sprintf("time=%q level=%s msg=%q", time.Now().Format(time.RFC3339), level, msg)
	if source != "" {
		line += " source=" + source
	}
	fmt.Fprintln(os.Stderr, line)
}

func (r *Run) noteSourceMap(p string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.sourceMaps[p] {
		r.sourceMaps[p] = true
	}
}

func (r *Run) emit(name string, v float64, tags map[string]string, at time.Time) {
	r.metrics.record(name, v, tags, at)
}

func (r *Run) recordCheck(group, name string, passed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g, ok := r.checks[group]
	if !ok {
		g = map[string]*checkCount{}
		r.checks[group] = g
	}
	c, ok := g[name]
	if !ok {
		c = &checkCount{}
		g[name] = c
		r.checkOrder = append(r.checkOrder, group+"\x00"+name)
	}
	if passed {
		c.passes++
	} else {
		c.fails++
	}
}

func (r *Run) abort(msg string) {
	r.mu.Lock()
	if r.aborted == "" {
		r.aborted = msg
	}
	r.mu.Unlock()
	r.abortCancel()
}

func (r *Run) markFailed(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failed == "" {
		r.failed = "test marked as failed: " + msg
	}
}

// acquire hands a scenario an initialized VU, initializing a new one when none is free, as k6
// does for arrival-rate executors that need more than they pre-allocated.
func (r *Run) acquire() (*VU, error) {
	r.mu.Lock()
	if n := len(r.idle); n > 0 {
		vu := r.idle[0]
		r.idle = r.idle[1:]
		r.mu.Unlock()
		r.state.vusActive.Add(1)
		return vu, nil
	}
	r.nextID++
	id := r.nextID
	r.mu.Unlock()
	vu, err := r.newVU(id)
	if err != nil {
		return nil, err
	}
	r.state.vusInitialized.Add(1)
	r.state.vusActive.Add(1)
	return vu, nil
}

func (r *Run) release(vu *VU) {
	vu.scenario = nil
	vu.stage = stageBetween
	r.state.vusActive.Add(-1)
	r.mu.Lock()
	r.idle = append(r.idle, vu)
	r.mu.Unlock()
}

// preInitialize creates, before setup() as k6 does, as many VUs as the scenarios hold at once
// at most: scenarios whose windows (start to start + length + gracefulStop) overlap add up.
func (r *Run) preInitialize() error {
	type edge struct {
		at  time.Duration
		vus int
	}
	var edges []edge
	for _, s := range r.opts.Scenarios {
		start := s.StartTime.or(0)
		edges = append(edges, edge{start, s.vusNeeded()}, edge{start + s.window(), -s.vusNeeded()})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at == edges[j].at {
			return edges[i].vus < edges[j].vus
		}
		return edges[i].at < edges[j].at
	})
	peak, cur := 0, 0
	for _, e := range edges {
		cur += e.vus
		if cur > peak {
			peak = cur
		}
	}
	for i := 0; i < peak; i++ {
		r.nextID++
		vu, err := r.newVU(r.nextID)
		if err != nil {
			return err
		}
		r.state.vusInitialized.Add(1)
		r.idle = append(r.idle, vu)
	}
	return nil
}

type scenarioRun struct {
	name      string
	cfg       *scenarioConfig
	startedAt time.Time
	length    time.Duration
	iters     atomic.Int64
	busyMu    sync.Mutex
	busy      map[*VU]bool
}

func (s *scenarioRun) progress() float64 {
	if s.length <= 0 {
		return 0
	}
	p := float64(time.Since(s.startedAt)) / float64(s.length)
	if p > 1 {
		return 1
	}
	return p
}

func (s *scenarioRun) setBusy(vu *VU, busy bool) {
	s.busyMu.Lock()
	defer s.busyMu.Unlock()
	if busy {
		s.busy[vu] = true
	} else {
		delete(s.busy, vu)
	}
}

// interruptAll stops the iterations still running when gracefulStop is over.
func (s *scenarioRun) interruptAll() {
	s.busyMu.Lock()
	defer s.busyMu.Unlock()
	for vu := range s.busy {
		vu.rt.Interrupt(errors.New("iteration interrupted: gracefulStop is over"))
	}
}

// iterate runs one iteration of the scenario's exec function on a VU.
func (r *Run) iterate(vu *VU, s *scenarioRun, ctx context.Context, setupJSON string) {
	vu.ctx = ctx
	vu.scenario = s
	vu.stage = stageVU
	vu.group = ""
	if vu.setupDataFor != setupJSON {
		vu.setupDataFor = setupJSON
		vu.setupData = sobek.Undefined()
		if setupJSON != "" {
			var v interface{}
			if err := json.Unmarshal([]byte(setupJSON), &v); err == nil {
				vu.setupData = vu.rt.ToValue(v)
			}
		}
	}
	vu.iterGlobal = s.iters.Add(1) - 1
	s.setBusy(vu, true)
	start := time.Now()
	_, err := vu.call(s.cfg.Exec, vu.setupData)
	s.setBusy(vu, false)
	vu.rt.ClearInterrupt()
	interrupted := ctx.Err() != nil
	if err != nil {
		var ab *abortError
		if errors.As(err, &ab) || r.abortCtx.Err() != nil {
			interrupted = true
		} else if !interrupted {
			r.logf("error", "stacktrace", "%s executor=%s scenario=%s", err.Error(), s.cfg.Executor, s.name)
		}
	}
	if interrupted {
		r.state.iterationsInterrupted.Add(1)
	} else {
		tags := vu.tags(nil)
		r.emit("iterations", 1, tags, time.Now())
		r.emit("iteration_duration", float64(time.Since(start).Nanoseconds())/1e6, tags, time.Now())
		r.state.iterationsCompleted.Add(1)
	}
	vu.iterInScen++
	vu.iterInstance++
}

// runScenario waits for the scenario's startTime, then runs its executor.
func (r *Run) runScenario(name string, cfg *scenarioConfig, setupJSON string) error {
	select {
	case <-time.After(time.Until(r.startedAt.Add(cfg.StartTime.or(0)))):
	case <-r.abortCtx.Done():
		return nil
	}
	s := &scenarioRun{name: name, cfg: cfg, startedAt: time.Now(), busy: map[*VU]bool{}}
	grace := cfg.GracefulStop.or(30 * time.Second)
	switch cfg.Executor {
	case "shared-iterations", "per-vu-iterations":
		s.length = cfg.MaxDuration.or(10 * time.Minute)
		return r.runIterations(s, grace, setupJSON)
	case "ramping-arrival-rate":
		s.length = cfg.stagesDuration()
		return r.runArrivalRate(s, grace, setupJSON, rampingStarts(cfg))
	default:
		s.length = cfg.Duration.or(0)
		return r.runArrivalRate(s, grace, setupJSON, constantStarts(cfg))
	}
}

// scenarioContexts: soft ends new iterations, hard (soft + gracefulStop) ends running ones.
func (r *Run) scenarioContexts(s *scenarioRun, grace time.Duration) (soft, hard context.Context, cancel func()) {
	soft, c1 := context.WithDeadline(r.abortCtx, s.startedAt.Add(s.length))
	hard, c2 := context.WithDeadline(r.abortCtx, s.startedAt.Add(s.length+grace))
	return soft, hard, func() { c1(); c2() }
}

func (r *Run) waitOrInterrupt(s *scenarioRun, wg *sync.WaitGroup, hard context.Context) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-hard.Done():
		s.interruptAll()
		<-done
	}
}

func (r *Run) runIterations(s *scenarioRun, grace time.Duration, setupJSON string) error {
	soft, hard, cancel := r.scenarioContexts(s, grace)
	defer cancel()
	vus, total := *s.cfg.VUs, int64(*s.cfg.Iterations)
	var next atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < vus; i++ {
		vu, err := r.acquire()
		if err != nil {
			return err
		}
		wg.Add(1)
		go func(vu *VU) {
			defer wg.Done()
			defer r.release(vu)
			for done := int64(0); ; done++ {
				if soft.Err() != nil {
					return
				}
				if s.cfg.Executor == "shared-iterations" {
					if next.Add(1) > total {
						return
					}
				} else if done >= total {
					return
				}
				r.iterate(vu, s, hard, setupJSON)
			}
		}(vu)
	}
	r.waitOrInterrupt(s, &wg, hard)
	return nil
}

// startTimes yields, one call per iteration, when the next iteration of an arrival-rate
// scenario is due (from the scenario's start); false when no more are due.
type startTimes func() (time.Duration, bool)

// constantStarts: iteration i (from 0) at i × timeUnit/rate, the first at the start.
func constantStarts(cfg *scenarioConfig) startTimes {
	period := time.Duration(float64(cfg.TimeUnit.or(time.Second)) / *cfg.Rate)
	i := 0
	return func() (time.Duration, bool) {
		at := time.Duration(i) * period
		i++
		return at, true
	}
}

// rampingStarts: the rate goes linearly from startRate to each stage's target over the stage's
// duration, and iteration n (from 1) is due when the area under that rate curve reaches n, so a
// stage's share of iterations is its area and a fraction left at a stage's end carries into
// the next (k6 lib/executor ramping_arrival_rate.go, cal).
func rampingStarts(cfg *scenarioConfig) startTimes {
	unit := float64(cfg.TimeUnit.or(time.Second))
	from := 0.0 // iterations per nanosecond at the current stage's start
	if cfg.StartRate != nil {
		from = float64(*cfg.StartRate) / unit
	}
	var stageStart time.Duration
	before := 0.0 // iterations due before the current stage (the area so far)
	si := 0
	n := 1.0
	return func() (time.Duration, bool) {
		for si < len(cfg.Stages) {
			st := cfg.Stages[si]
			to := 0.0
			if st.Target != nil {
				to = float64(*st.Target) / unit
			}
			d := float64(st.Duration.or(0))
			if n <= before+d*(from+to)/2 {
				k := n - before // the k-th iteration of this stage, by area
				var x float64
				if from == to {
					x = k / to
				} else {
					// Solve from·x + (to−from)·x²/(2d) = k for the x within [0, d].
					x = (from*d - math.Sqrt(math.Max(0, d*(from*from*d+2*k*(to-from))))) / (from - to)
				}
				n++
				return stageStart + time.Duration(x), true
			}
			before += d * (from + to) / 2
			from = to
			stageStart += st.Duration.or(0)
			si++
		}
		return 0, false
	}
}

// runArrivalRate starts each iteration when starts says, on a free VU, whatever the previous
// ones do; with no VU free and maxVUs reached, the iteration is dropped and counted in
// dropped_iterations (k6-docs using-k6/scenarios/executors/constant-arrival-rate and
// ramping-arrival-rate).
func (r *Run) runArrivalRate(s *scenarioRun, grace time.Duration, setupJSON string, starts startTimes) error {
	soft, hard, cancel := r.scenarioContexts(s, grace)
	defer cancel()
	maxVUs := *s.cfg.MaxVUs
	free := make(chan *VU, maxVUs)
	var held []*VU
	for i := 0; i < *s.cfg.PreAllocatedVUs; i++ {
		vu, err := r.acquire()
		if err != nil {
			return err
		}
		held = append(held, vu)
		free <- vu
	}
	var wg sync.WaitGroup
	for {
		offset, ok := starts()
		if !ok {
			break
		}
		at := s.startedAt.Add(offset)
		if !at.Before(s.startedAt.Add(s.length)) {
			break
		}
		select {
		case <-time.After(time.Until(at)):
		case <-soft.Done():
		}
		if soft.Err() != nil {
			break
		}
		var vu *VU
		select {
		case vu = <-free:
		default:
			if len(held) < maxVUs {
				v, err := r.acquire()
				if err != nil {
					return err
				}
				held = append(held, v)
				vu = v
			}
		}
		if vu == nil {
			tags := map[string]string{"scenario": s.name}
			for k, v := range r.runTags {
				tags[k] = v
			}
			r.emit("dropped_iterations", 1, tags, time.Now())
			continue
		}
		wg.Add(1)
		go func(vu *VU) {
			defer wg.Done()
			r.iterate(vu, s, hard, setupJSON)
			free <- vu
		}(vu)
	}
	// The executor lasts its whole duration, as k6's does, even when the last iteration is done.
	<-soft.Done()
	r.waitOrInterrupt(s, &wg, hard)
	for _, vu := range held {
		r.release(vu)
	}
	return nil
}

// summaryData is what k6 passes to handleSummary (k6-docs results-output/end-of-test/custom-summary).
func (r *Run) summaryData(testRunDuration time.Duration) map[string]interface{} {
	r.mu.Lock()
	checks := []interface{}{}
	for _, key := range r.checkOrder {
		var group, name string
		for i := 0; i < len(key); i++ {
			if key[i] == 0 {
				group, name = key[:i], key[i+1:]
				break
			}
		}
		c := r.checks[group][name]
		path := group + "::" + name
		checks = append(checks, map[string]interface{}{"name": name, "path": path, "id": md5hex(path), "passes": c.passes, "fails": c.fails})
	}
	r.mu.Unlock()
	return map[string]interface{}{
		"root_group": map[string]interface{}{"name": "", "path": "", "id": md5hex(""), "groups": []interface{}{}, "checks": checks},
		"options":    map[string]interface{}{"summaryTrendStats": r.opts.SummaryTrendStats, "summaryTimeUnit": "", "noColor": false},
		"state":      map[string]interface{}{"isStdOutTTY": false, "isStdErrTTY": false, "testRunDurationMs": float64(testRunDuration.Microseconds()) / 1000},
		"metrics":    r.metrics.summaryMetrics(r.opts.SummaryTrendStats, testRunDuration.Seconds()),
	}
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func sortStrings(s []string) { sort.Strings(s) }
