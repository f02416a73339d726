package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/grafana/sobek"
)

// stage is where a VU's code runs; k6 allows some calls only in some stages.
type stage int

const (
	stageInit stage = iota
	stageSetup
	stageVU
	stageTeardown
	stageSummary
	stageBetween // a VU between scenarios: neither init nor an iteration
)

// VU is one virtual user: its own JavaScript runtime and its own instance of the script and
// of k6's modules, as in k6, where VUs share nothing but what setup() returned.
type VU struct {
	run     *Run
	id      int // 0 for the VU that reads options and runs setup/teardown/handleSummary
	rt      *sobek.Runtime
	stage   stage
	module  *sobek.SourceTextModuleRecord
	exports *sobek.Object
	resolve sobek.HostResolveImportedModuleFunc
	http    *vuHTTP

	// set for each iteration by the executor
	ctx          context.Context
	scenario     *scenarioRun
	iterInScen   int64 // this VU's iteration number in the current scenario (__ITER)
	iterGlobal   int64 // the scenario's iteration number across VUs
	iterInstance int64 // this VU's iterations over the whole test
	group        string
	setupData    sobek.Value
	setupDataFor string
}

// newVU creates the runtime, evaluates the script's init context and keeps its exports.
func (r *Run) newVU(id int) (*VU, error) {
	vu := &VU{run: r, id: id, rt: sobek.New(), stage: stageInit, ctx: context.Background()}
	vu.rt.SetFieldNameMapper(sobek.UncapFieldNameMapper())
	vu.http = newVUHTTP(vu)
	if err := vu.setGlobals(); err != nil {
		return nil, err
	}
	m, err := vu.loadScript(r.script)
	if err != nil {
		return nil, err
	}
	vu.module = m
	p := vu.rt.CyclicModuleRecordEvaluate(m, vu.resolve)
	switch p.State() {
	case sobek.PromiseStateRejected:
		return nil, jsError(p.Result())
	case sobek.PromiseStatePending:
		return nil, errors.New("the script's top-level await did not settle (k6 runs the init context to its end before the test)")
	}
	vu.exports = vu.rt.NamespaceObjectFor(m)
	vu.stage = stageBetween
	return vu, nil
}

func (vu *VU) setGlobals() error {
	rt := vu.rt
	env := rt.NewObject()
	for k, v := range vu.run.env {
		_ = env.Set(k, v)
	}
	if err := rt.Set("__ENV", env); err != nil {
		return err
	}
	// __VU is the VU's number, from 1, and 0 in the VU that reads the options and runs
	// setup() and teardown(); __ITER counts this VU's iterations in its current scenario.
	_ = rt.GlobalObject().DefineAccessorProperty("__VU", rt.ToValue(func(sobek.FunctionCall) sobek.Value { return rt.ToValue(vu.id) }), nil, sobek.FLAG_FALSE, sobek.FLAG_TRUE)
	_ = rt.GlobalObject().DefineAccessorProperty("__ITER", rt.ToValue(func(sobek.FunctionCall) sobek.Value { return rt.ToValue(vu.iterInScen) }), nil, sobek.FLAG_FALSE, sobek.FLAG_TRUE)
	if err := rt.Set("open", vu.open); err != nil {
		return err
	}
	console := rt.NewObject()
	for _, level := range []string{"log", "info", "warn", "error", "debug"} {
		lvl := level
		_ = console.Set(lvl, func(call sobek.FunctionCall) sobek.Value {
			parts := make([]string, len(call.Arguments))
			for i, a := range call.Arguments {
				parts[i] = a.String()
			}
			if lvl == "log" {
				lvl = "info"
			}
			vu.run.logf(lvl, "console", "%s", strings.Join(parts, " "))
			return sobek.Undefined()
		})
	}
	return rt.Set("console", console)
}

// open() reads a file relative to the script, in the init context only (k6-docs
// javascript-api/init-context/open).
func (vu *VU) open(call sobek.FunctionCall) sobek.Value {
	if vu.stage != stageInit {
		vu.throw(`The "open()" function is only available in the init stage (i.e. the global scope), see https://grafana.com/docs/k6/latest/javascript-api/init-context for more information`)
	}
	name := call.Argument(0).String()
	if name == "" {
		vu.throw("open() can't be used with an empty filename")
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(filepath.Dir(vu.run.script), name)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		vu.throw("%s", err.Error())
	}
	if call.Argument(1).String() == "b" {
		return vu.rt.ToValue(vu.rt.NewArrayBuffer(b))
	}
	return vu.rt.ToValue(string(b))
}

// throw raises a JavaScript error (a GoError, as k6's modules raise theirs) in the calling script.
func (vu *VU) throw(format string, args ...interface{}) {
	panic(vu.rt.NewGoError(fmt.Errorf(format, args...)))
}

// call runs an exported function (setup, an exec function, handleSummary).
func (vu *VU) call(name string, args ...sobek.Value) (sobek.Value, error) {
	fn, ok := sobek.AssertFunction(vu.exports.Get(name))
	if !ok {
		return nil, fmt.Errorf("function '%s' not found in exports", name)
	}
	v, err := fn(sobek.Undefined(), args...)
	if err != nil {
		return nil, jsError(err)
	}
	return v, nil
}

func (vu *VU) hasExport(name string) bool {
	v := vu.exports.Get(name)
	_, ok := sobek.AssertFunction(v)
	return ok
}

// scriptError is an exception thrown by the script, with its stack as the source map gives it.
type scriptError struct{ msg string }

func (e *scriptError) Error() string { return e.msg }

func jsError(v interface{}) error {
	switch x := v.(type) {
	case *sobek.Exception:
		return &scriptError{msg: x.String()}
	case *sobek.InterruptedError:
		return &scriptError{msg: x.String()}
	case sobek.Value:
		// A rejected module evaluation holds the thrown exception as a wrapped Go value.
		if inner, ok := x.Export().(error); ok {
			return jsError(inner)
		}
		if o, ok := x.(*sobek.Object); ok {
			if st := o.Get("stack"); st != nil && !sobek.IsUndefined(st) {
				return &scriptError{msg: st.String()}
			}
		}
		return &scriptError{msg: x.String()}
	case error:
		return &scriptError{msg: x.Error()}
	default:
		return &scriptError{msg: fmt.Sprint(v)}
	}
}

// sleep blocks the VU, and ends early when the scenario is stopped (k6 interrupts it too).
func (vu *VU) sleep(seconds float64) {
	if seconds <= 0 {
		return
	}
	t := time.NewTimer(time.Duration(seconds * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
	case <-vu.ctx.Done():
	}
}
