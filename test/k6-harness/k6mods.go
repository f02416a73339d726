package main

import (
	"regexp"
	"time"

	"github.com/grafana/sobek"
)

func (vu *VU) nativeModules() map[string]*nativeModule {
	return map[string]*nativeModule{
		"k6":           {exports: vu.k6Module()},
		"k6/http":      {exports: vu.httpModule()},
		"k6/execution": {exports: vu.executionModule()},
		"k6/metrics":   {exports: vu.metricsModule()},
	}
}

func (vu *VU) k6Module() map[string]sobek.Value {
	rt := vu.rt
	named := map[string]sobek.Value{
		"check": rt.ToValue(vu.check),
		"sleep": rt.ToValue(func(s float64) { vu.sleep(s) }),
		"group": rt.ToValue(vu.groupFn),
		"fail": rt.ToValue(func(msg string) {
			vu.throw("%s", msg)
		}),
	}
	return withDefault(rt, named, nil)
}

// check records one `checks` sample per condition, tagged with the check's name (k6-docs
// javascript-api/k6/check); a condition that throws propagates, as in k6.
func (vu *VU) check(call sobek.FunctionCall) sobek.Value {
	if vu.stage == stageInit {
		vu.throw("Using check() in the init context is not supported")
	}
	rt := vu.rt
	value := call.Argument(0)
	sets, ok := call.Argument(1).(*sobek.Object)
	if !ok || sobek.IsUndefined(call.Argument(1)) || sobek.IsNull(call.Argument(1)) {
		return rt.ToValue(true)
	}
	extra := tagsArg(call.Argument(2))
	all := true
	now := time.Now()
	for _, name := range sets.Keys() {
		cond := sets.Get(name)
		var passed bool
		if fn, isFn := sobek.AssertFunction(cond); isFn {
			res, err := fn(sobek.Undefined(), value)
			if err != nil {
				panic(err)
			}
			passed = res.ToBoolean()
		} else {
			passed = cond.ToBoolean()
		}
		tags := vu.tags(extra)
		tags["check"] = name
		v := 0.0
		if passed {
			v = 1
		}
		vu.run.emit("checks", v, tags, now)
		vu.run.recordCheck(vu.group, name, passed)
		all = all && passed
	}
	return rt.ToValue(all)
}

func (vu *VU) groupFn(name string, fn sobek.Callable) sobek.Value {
	if vu.stage == stageInit {
		vu.throw("group() is not supported in the init context")
	}
	prev := vu.group
	vu.group = prev + "::" + name
	defer func() { vu.group = prev }()
	v, err := fn(sobek.Undefined())
	if err != nil {
		panic(err)
	}
	return v
}

// tags: what k6 puts on every sample of this VU now: the test's --tag values, the scenario's
// tags and name, the group, then the call's own.
func (vu *VU) tags(extra map[string]string) map[string]string {
	t := make(map[string]string, 8)
	for k, v := range vu.run.runTags {
		t[k] = v
	}
	t["group"] = vu.group
	if vu.scenario != nil {
		for k, v := range vu.scenario.cfg.Tags {
			t[k] = v
		}
		t["scenario"] = vu.scenario.name
	}
	for k, v := range extra {
		t[k] = v
	}
	return t
}

func tagsArg(v sobek.Value) map[string]string {
	o, ok := v.(*sobek.Object)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, k := range o.Keys() {
		out[k] = o.Get(k).String()
	}
	return out
}

// executionModule is k6/execution: the scenario, VU, instance and test the code runs in.
func (vu *VU) executionModule() map[string]sobek.Value {
	rt := vu.rt
	exec := rt.NewObject()
	getter := func(name string, fn func() sobek.Value) {
		_ = exec.DefineAccessorProperty(name, rt.ToValue(func(sobek.FunctionCall) sobek.Value { return fn() }), nil, sobek.FLAG_FALSE, sobek.FLAG_TRUE)
	}
	getter("scenario", func() sobek.Value {
		if vu.scenario == nil {
			vu.throw("getting scenario information outside of the VU context is not supported")
		}
		s := vu.scenario
		o := rt.NewObject()
		_ = o.Set("name", s.name)
		_ = o.Set("executor", s.cfg.Executor)
		_ = o.Set("startTime", s.startedAt.UnixMilli())
		_ = o.Set("progress", s.progress())
		_ = o.Set("iterationInInstance", vu.iterGlobal)
		_ = o.Set("iterationInTest", vu.iterGlobal)
		return o
	})
	getter("vu", func() sobek.Value {
		if vu.stage == stageInit {
			vu.throw("getting VU information in the init context is not supported")
		}
		o := rt.NewObject()
		_ = o.Set("idInInstance", vu.id)
		_ = o.Set("idInTest", vu.id)
		_ = o.Set("iterationInInstance", vu.iterInstance)
		_ = o.Set("iterationInScenario", vu.iterInScen)
		return o
	})
	getter("instance", func() sobek.Value {
		if vu.stage == stageInit {
			vu.throw("getting instance information in the init context is not supported")
		}
		st := &vu.run.state
		o := rt.NewObject()
		_ = o.Set("vusActive", st.vusActive.Load())
		_ = o.Set("vusInitialized", st.vusInitialized.Load())
		_ = o.Set("iterationsCompleted", st.iterationsCompleted.Load())
		_ = o.Set("iterationsInterrupted", st.iterationsInterrupted.Load())
		_ = o.Set("currentTestRunDuration", float64(time.Since(vu.run.startedAt).Microseconds())/1000)
		return o
	})
	test := rt.NewObject()
	_ = test.Set("abort", func(call sobek.FunctionCall) sobek.Value {
		if vu.stage == stageInit {
			vu.throw("test.abort() is not supported in the init context")
		}
		msg := "test aborted"
		if len(call.Arguments) > 0 {
			msg = "test aborted: " + call.Argument(0).String()
		}
		vu.run.abort(msg)
		rt.Interrupt(&abortError{msg: msg})
		return sobek.Undefined()
	})
	_ = test.Set("fail", func(call sobek.FunctionCall) sobek.Value {
		vu.run.markFailed(call.Argument(0).String())
		return sobek.Undefined()
	})
	_ = test.DefineAccessorProperty("options", rt.ToValue(func(sobek.FunctionCall) sobek.Value {
		return rt.ToValue(vu.run.rawOptions)
	}), nil, sobek.FLAG_FALSE, sobek.FLAG_TRUE)
	_ = exec.Set("test", test)
	return withDefault(rt, map[string]sobek.Value{}, exec)
}

type abortError struct{ msg string }

func (e *abortError) Error() string { return e.msg }

var metricName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,127}$`)

// metricsModule is k6/metrics: Counter, Gauge, Rate and Trend, created in the init context only
// (k6-docs using-k6/metrics/create-custom-metrics).
func (vu *VU) metricsModule() map[string]sobek.Value {
	rt := vu.rt
	ctor := func(typ string) sobek.Value {
		return rt.ToValue(func(call sobek.ConstructorCall) *sobek.Object {
			if vu.stage != stageInit {
				vu.throw("metrics must be declared in the init context")
			}
			name := call.Argument(0).String()
			if !metricName.MatchString(name) {
				vu.throw("invalid metric name: '%s'", name)
			}
			contains := "default"
			if typ == "trend" && call.Argument(1).ToBoolean() {
				contains = "time"
			}
			if err := vu.run.metrics.declare(name, typ, contains); err != nil {
				vu.throw("%s", err.Error())
			}
			obj := call.This
			_ = obj.Set("name", name)
			_ = obj.Set("add", func(c sobek.FunctionCall) sobek.Value {
				if vu.stage == stageInit {
					vu.throw("Adding to metrics in the init context is not supported")
				}
				v := c.Argument(0)
				value := v.ToFloat()
				if typ == "rate" {
					value = 0
					if v.ToBoolean() {
						value = 1
					}
				}
				vu.run.emit(name, value, vu.tags(tagsArg(c.Argument(1))), time.Now())
				return rt.ToValue(true)
			})
			return nil
		})
	}
	return withDefault(rt, map[string]sobek.Value{
		"Counter": ctor("counter"),
		"Gauge":   ctor("gauge"),
		"Rate":    ctor("rate"),
		"Trend":   ctor("trend"),
	}, nil)
}
