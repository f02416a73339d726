package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// duration reads k6's durations: a Go duration string ("1m30s") or a number of milliseconds.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration", s)
		}
		*d = duration(v)
		return nil
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("%s is not a duration", string(b))
	}
	*d = duration(time.Duration(ms * float64(time.Millisecond)))
	return nil
}

func (d *duration) or(def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return time.Duration(*d)
}

type scenarioConfig struct {
	Executor        string            `json:"executor"`
	StartTime       *duration         `json:"startTime"`
	GracefulStop    *duration         `json:"gracefulStop"`
	Exec            string            `json:"exec"`
	Tags            map[string]string `json:"tags"`
	Env             map[string]string `json:"env"`
	VUs             *int              `json:"vus"`
	Iterations      *int              `json:"iterations"`
	MaxDuration     *duration         `json:"maxDuration"`
	Rate            *float64          `json:"rate"`
	TimeUnit        *duration         `json:"timeUnit"`
	Duration        *duration         `json:"duration"`
	PreAllocatedVUs *int              `json:"preAllocatedVUs"`
	MaxVUs          *int              `json:"maxVUs"`
	// ramping-arrival-rate: whole iterations per timeUnit, as k6 reads them (null.Int there).
	StartRate *int64      `json:"startRate"`
	Stages    []rampStage `json:"stages"`
}

// rampStage is one step of a ramping executor: reach target by the end of duration, linearly.
type rampStage struct {
	Duration *duration `json:"duration"`
	Target   *int64    `json:"target"`
}

func (s *scenarioConfig) stagesDuration() time.Duration {
	var d time.Duration
	for _, st := range s.Stages {
		d += st.Duration.or(0)
	}
	return d
}

// thresholdList accepts k6's two forms: "rate<0.01" and {threshold: "rate<0.01", abortOnFail: true}.
type thresholdList []string

func (t *thresholdList) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for _, r := range raw {
		var s string
		if json.Unmarshal(r, &s) == nil {
			*t = append(*t, s)
			continue
		}
		var o struct {
			Threshold string `json:"threshold"`
		}
		if err := json.Unmarshal(r, &o); err != nil || o.Threshold == "" {
			return fmt.Errorf("a threshold is a string or {threshold: string}, got %s", string(r))
		}
		*t = append(*t, o.Threshold)
	}
	return nil
}

type options struct {
	Scenarios             map[string]*scenarioConfig `json:"scenarios"`
	Thresholds            map[string]thresholdList   `json:"thresholds"`
	NoConnectionReuse     bool                       `json:"noConnectionReuse"`
	DiscardResponseBodies bool                       `json:"discardResponseBodies"`
	SummaryTrendStats     []string                   `json:"summaryTrendStats"`
	SetupTimeout          *duration                  `json:"setupTimeout"`
	// The shortcuts k6 turns into one "default" scenario.
	VUs        *int      `json:"vus"`
	Iterations *int      `json:"iterations"`
	Duration   *duration `json:"duration"`
}

var supportedExecutors = map[string]bool{"shared-iterations": true, "per-vu-iterations": true, "constant-arrival-rate": true, "ramping-arrival-rate": true}

// normalize fills in k6's documented defaults (k6-docs using-k6/scenarios) and refuses what the
// harness does not run, so a script using another executor fails loudly instead of being skipped.
func (o *options) normalize() error {
	if len(o.Scenarios) == 0 {
		one := 1
		sc := &scenarioConfig{Executor: "per-vu-iterations", VUs: &one, Iterations: &one}
		if o.VUs != nil {
			sc.VUs = o.VUs
		}
		if o.Iterations != nil {
			sc.Executor, sc.Iterations = "shared-iterations", o.Iterations
		}
		if o.Duration != nil {
			return fmt.Errorf("options.duration: the harness runs iteration-based and arrival-rate scenarios only")
		}
		o.Scenarios = map[string]*scenarioConfig{"default": sc}
	}
	if len(o.SummaryTrendStats) == 0 {
		o.SummaryTrendStats = []string{"avg", "min", "med", "max", "p(90)", "p(95)"}
	}
	for name, s := range o.Scenarios {
		if !supportedExecutors[s.Executor] {
			return fmt.Errorf("scenario %s: executor %q is not one the harness runs (%s)", name, s.Executor, strings.Join(keys(supportedExecutors), ", "))
		}
		if s.Exec == "" {
			s.Exec = "default"
		}
		switch s.Executor {
		case "shared-iterations", "per-vu-iterations":
			if s.VUs == nil {
				one := 1
				s.VUs = &one
			}
			if s.Iterations == nil {
				one := 1
				s.Iterations = &one
			}
			if *s.VUs < 1 || *s.Iterations < 1 {
				return fmt.Errorf("scenario %s: vus and iterations must be at least 1", name)
			}
			if s.Executor == "shared-iterations" && *s.VUs > *s.Iterations {
				return fmt.Errorf("scenario %s: the number of iterations (%d) can't be less than the number of VUs (%d)", name, *s.Iterations, *s.VUs)
			}
		case "constant-arrival-rate":
			if s.Rate == nil || *s.Rate <= 0 || s.Duration == nil || s.PreAllocatedVUs == nil {
				return fmt.Errorf("scenario %s: constant-arrival-rate needs rate, duration and preAllocatedVUs", name)
			}
			if s.MaxVUs == nil || *s.MaxVUs < *s.PreAllocatedVUs {
				s.MaxVUs = s.PreAllocatedVUs
			}
		case "ramping-arrival-rate":
			// k6's checks for this executor (lib/executor ramping_arrival_rate.go Validate, validateStages).
			if s.PreAllocatedVUs == nil || *s.PreAllocatedVUs < 0 {
				return fmt.Errorf("scenario %s: ramping-arrival-rate needs preAllocatedVUs of 0 or more", name)
			}
			if s.StartRate != nil && *s.StartRate < 0 {
				return fmt.Errorf("scenario %s: the startRate value can't be negative", name)
			}
			if s.TimeUnit != nil && *s.TimeUnit <= 0 {
				return fmt.Errorf("scenario %s: the timeUnit must be more than 0", name)
			}
			if len(s.Stages) == 0 {
				return fmt.Errorf("scenario %s: at least one stage has to be specified", name)
			}
			for i, st := range s.Stages {
				if st.Duration == nil || *st.Duration < 0 {
					return fmt.Errorf("scenario %s: stage %d needs a duration of 0 or more", name, i)
				}
				if st.Target != nil && *st.Target < 0 {
					return fmt.Errorf("scenario %s: the target for stage %d can't be negative", name, i)
				}
			}
			if s.MaxVUs == nil {
				s.MaxVUs = s.PreAllocatedVUs
			} else if *s.MaxVUs < *s.PreAllocatedVUs {
				return fmt.Errorf("scenario %s: maxVUs can't be less than preAllocatedVUs", name)
			}
		}
	}
	return nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

// window is how long a scenario may hold its VUs: its length plus gracefulStop.
func (s *scenarioConfig) window() time.Duration {
	grace := s.GracefulStop.or(30 * time.Second)
	switch s.Executor {
	case "constant-arrival-rate":
		return s.Duration.or(0) + grace
	case "ramping-arrival-rate":
		return s.stagesDuration() + grace
	default:
		return s.MaxDuration.or(10*time.Minute) + grace
	}
}

func (s *scenarioConfig) vusNeeded() int {
	if s.Executor == "constant-arrival-rate" || s.Executor == "ramping-arrival-rate" {
		return *s.PreAllocatedVUs
	}
	return *s.VUs
}

func parseKV(s string) (string, string, error) {
	i := strings.IndexByte(s, '=')
	if i <= 0 {
		return "", "", fmt.Errorf("expected NAME=value, got %s", strconv.Quote(s))
	}
	return s[:i], s[i+1:], nil
}
