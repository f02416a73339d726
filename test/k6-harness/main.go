// Command k6-harness runs the pack's k6 bundles in grafana/sobek, the JavaScript engine k6 runs
// scripts in, with k6's modules, lifecycle and executors re-implemented here from k6's public
// documentation, at the small sizes a test needs. It is a test instrument, not k6: see the
// docs/k6.md, "What was checked against k6 itself, and what was not".
//
//	k6-harness run [-e NAME=value]... [--tag NAME=value]... [--out json=FILE] script.js
//	k6-harness inspect [-e NAME=value]... script.js   (the script's options as JSON, as `k6 inspect`)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/grafana/sobek"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func usage(msg string) int {
	fmt.Fprintf(os.Stderr, "k6-harness: %s\nusage: k6-harness run [-e NAME=value]... [--tag NAME=value]... [--out json=FILE] script.js\n", msg)
	return 2
}

func run(args []string) int {
	if len(args) == 0 || (args[0] != "run" && args[0] != "inspect") {
		return usage("expected the run or inspect command")
	}
	env := map[string]string{}
	// k6 passes the system environment to __ENV unless told not to; -e values win.
	includeSystem := true
	var sets [][2]string
	tags := map[string]string{}
	var outJSON, script string
	for i := 1; i < len(args); i++ {
		a := args[i]
		next := func() (string, bool) {
			if i+1 >= len(args) {
				return "", false
			}
			i++
			return args[i], true
		}
		switch {
		case a == "-e" || a == "--env":
			v, ok := next()
			if !ok {
				return usage(a + " needs NAME=value")
			}
			k, val, err := parseKV(v)
			if err != nil {
				return usage(a + ": " + err.Error())
			}
			sets = append(sets, [2]string{k, val})
		case a == "--tag":
			v, ok := next()
			if !ok {
				return usage("--tag needs NAME=value")
			}
			k, val, err := parseKV(v)
			if err != nil {
				return usage("--tag: " + err.Error())
			}
			tags[k] = val
		case a == "--out" || a == "-o":
			v, ok := next()
			if !ok || !strings.HasPrefix(v, "json=") {
				return usage("--out: only json=FILE is supported")
			}
			outJSON = strings.TrimPrefix(v, "json=")
		case a == "--include-system-env-vars=false":
			includeSystem = false
		case strings.HasPrefix(a, "-"):
			return usage("unknown flag " + a)
		default:
			if script != "" {
				return usage("one script only")
			}
			script = a
		}
	}
	if script == "" {
		return usage("no script given")
	}
	// An absolute module name, so that the source map's relative URL resolves beside the script.
	if abs, err := filepath.Abs(script); err == nil {
		script = abs
	}
	if includeSystem {
		for _, kv := range os.Environ() {
			if k, v, err := parseKV(kv); err == nil {
				env[k] = v
			}
		}
	}
	for _, kv := range sets {
		env[kv[0]] = kv[1]
	}
	r := &Run{script: script, env: env, runTags: tags, metrics: newRegistry(), checks: map[string]map[string]*checkCount{}, sourceMaps: map[string]bool{}}
	r.abortCtx, r.abortCancel = context.WithCancel(context.Background())
	var code int
	var err error
	if args[0] == "inspect" {
		code, err = r.inspect()
	} else {
		code, err = r.execute(outJSON)
	}
	if err != nil {
		r.logf("error", "", "%s", err.Error())
	}
	return code
}

// inspect evaluates the init context once (__VU 0) and prints the exported options.
func (r *Run) inspect() (int, error) {
	first, err := r.newVU(0)
	if err != nil {
		return exitScript, err
	}
	var opts interface{} = map[string]interface{}{}
	if v := first.exports.Get("options"); v != nil && !sobek.IsUndefined(v) {
		opts = v.Export()
	}
	b, err := json.MarshalIndent(opts, "", "  ")
	if err != nil {
		return exitInvalidConfig, err
	}
	fmt.Println(string(b))
	return 0, nil
}

// execute follows k6's lifecycle: init (options), VUs' init, setup, scenarios, teardown,
// thresholds, handleSummary (k6-docs using-k6/test-lifecycle).
func (r *Run) execute(outJSON string) (int, error) {
	// The VU that reads the options; it also runs setup, teardown and handleSummary.
	first, err := r.newVU(0)
	if err != nil {
		return exitScript, err
	}
	if v := first.exports.Get("options"); v != nil && !sobek.IsUndefined(v) {
		r.rawOptions = v.Export()
		b, err := json.Marshal(r.rawOptions)
		if err == nil {
			err = json.Unmarshal(b, &r.opts)
		}
		if err != nil {
			return exitInvalidConfig, fmt.Errorf("options: %v", err)
		}
	}
	if err := r.opts.normalize(); err != nil {
		return exitInvalidConfig, err
	}
	th := map[string][]string{}
	for k, v := range r.opts.Thresholds {
		th[k] = v
	}
	if err := r.metrics.setThresholds(th); err != nil {
		return exitInvalidConfig, err
	}
	for name, s := range r.opts.Scenarios {
		if !first.hasExport(s.Exec) {
			return exitInvalidConfig, fmt.Errorf("scenario %s: exec function %q is not exported by the script", name, s.Exec)
		}
	}
	if outJSON != "" {
		o, err := openJSONOut(outJSON, r.metrics)
		if err != nil {
			return exitInvalidConfig, fmt.Errorf("--out json=%s: %v", outJSON, err)
		}
		r.metrics.out = o
		defer func() {
			if err := o.close(); err != nil {
				r.logf("error", "", "--out json=%s: %v", outJSON, err)
			}
		}()
	}
	if err := r.preInitialize(); err != nil {
		return exitScript, err
	}

	setupJSON := ""
	if first.hasExport("setup") {
		first.stage, first.group = stageSetup, "::setup"
		v, err := first.call("setup")
		if err != nil {
			return exitScript, fmt.Errorf("setup() failed: %w", err)
		}
		if v != nil && !sobek.IsUndefined(v) {
			b, err := json.Marshal(v.Export())
			if err != nil {
				return exitScript, fmt.Errorf("setup() returned what cannot be passed to the VUs as JSON: %v", err)
			}
			setupJSON = string(b)
		}
	}

	r.startedAt = time.Now()
	stopGauges := r.gauges()
	names := make([]string, 0, len(r.opts.Scenarios))
	for n := range r.opts.Scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	var wg sync.WaitGroup
	errs := make(chan error, len(names))
	for _, n := range names {
		wg.Add(1)
		go func(n string) {
			defer wg.Done()
			if err := r.runScenario(n, r.opts.Scenarios[n], setupJSON); err != nil {
				errs <- fmt.Errorf("scenario %s: %w", n, err)
				r.abort(err.Error())
			}
		}(n)
	}
	wg.Wait()
	stopGauges()
	testRunDuration := time.Since(r.startedAt)
	close(errs)
	for err := range errs {
		return exitScript, err
	}

	if first.hasExport("teardown") {
		first.stage, first.group = stageTeardown, "::teardown"
		var data sobek.Value = sobek.Undefined()
		if setupJSON != "" {
			var v interface{}
			_ = json.Unmarshal([]byte(setupJSON), &v)
			data = first.rt.ToValue(v)
		}
		if _, err := first.call("teardown", data); err != nil {
			return exitScript, fmt.Errorf("teardown() failed: %w", err)
		}
	}

	crossed := r.metrics.evaluateThresholds(testRunDuration.Seconds())
	if err := r.summary(first, testRunDuration); err != nil {
		return exitScript, err
	}
	if r.aborted != "" {
		return exitAborted, errors.New(r.aborted)
	}
	if len(crossed) > 0 {
		return exitThresholds, fmt.Errorf("thresholds on metrics '%s' have been crossed", strings.Join(crossed, "', '"))
	}
	if r.failed != "" {
		return exitMarkedFailed, errors.New(r.failed)
	}
	return 0, nil
}

// gauges emits vus and vus_max once a second, as k6 does.
func (r *Run) gauges() func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	emit := func() {
		t := time.Now()
		r.emit("vus", float64(r.state.vusActive.Load()), copyTags(r.runTags), t)
		r.emit("vus_max", float64(r.state.vusInitialized.Load()), copyTags(r.runTags), t)
	}
	go func() {
		defer close(done)
		emit()
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-tk.C:
				emit()
			case <-stop:
				return
			}
		}
	}()
	return func() { close(stop); <-done }
}

func copyTags(t map[string]string) map[string]string {
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}

// summary calls handleSummary with k6's data object and writes what it returns: "stdout",
// "stderr", or a file path (k6-docs results-output/end-of-test/custom-summary).
func (r *Run) summary(vu *VU, d time.Duration) error {
	data := r.summaryData(d)
	if !vu.hasExport("handleSummary") {
		m := data["metrics"].(map[string]interface{})
		fmt.Fprintf(os.Stdout, "k6-harness: %d metrics recorded (no handleSummary)\n", len(m))
		return nil
	}
	vu.stage, vu.group, vu.scenario = stageSummary, "", nil
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	var plain interface{}
	_ = json.Unmarshal(b, &plain)
	res, err := vu.call("handleSummary", vu.rt.ToValue(plain))
	if err != nil {
		return fmt.Errorf("handleSummary() failed: %w", err)
	}
	obj, ok := res.(*sobek.Object)
	if !ok {
		return errors.New("handleSummary() must return an object of outputs")
	}
	for _, k := range obj.Keys() {
		text := obj.Get(k).String()
		switch k {
		case "stdout":
			fmt.Fprint(os.Stdout, text)
		case "stderr":
			fmt.Fprint(os.Stderr, text)
		default:
			if err := os.WriteFile(k, []byte(text), 0o644); err != nil {
				return fmt.Errorf("handleSummary output %s: %v", k, err)
			}
		}
	}
	return nil
}
