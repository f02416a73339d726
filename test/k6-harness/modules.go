package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/grafana/sobek"
	"github.com/grafana/sobek/parser"
)

// nativeModule is one of k6's built-in modules (k6, k6/http, ...) as an ES module record:
// its exports are Go values made for one VU, so every VU has its own instance, as in k6.
type nativeModule struct {
	exports map[string]sobek.Value
}

type nativeInstance struct{ m *nativeModule }

func (m *nativeModule) names() []string {
	out := make([]string, 0, len(m.exports))
	for k := range m.exports {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (m *nativeModule) Link() error { return nil }

func (m *nativeModule) GetExportedNames(cb func([]string), _ ...sobek.ModuleRecord) bool {
	cb(m.names())
	return true
}

func (m *nativeModule) ResolveExport(name string, _ ...sobek.ResolveSetElement) (*sobek.ResolvedBinding, bool) {
	if _, ok := m.exports[name]; !ok {
		return nil, false
	}
	return &sobek.ResolvedBinding{Module: m, BindingName: name}, false
}

func (m *nativeModule) Evaluate(rt *sobek.Runtime) *sobek.Promise {
	p, resolve, _ := rt.NewPromise()
	_ = resolve(&nativeInstance{m: m})
	return p
}

func (i *nativeInstance) GetBindingValue(name string) sobek.Value { return i.m.exports[name] }

// loadScript parses the bundle as an ES module for one VU, with its source map (k6 reads the
// `//# sourceMappingURL=` comment the same way), and resolves k6's module names to this VU's
// native modules. Anything else is refused: the bundles must be self-contained.
func (vu *VU) loadScript(path string) (*sobek.SourceTextModuleRecord, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	natives := vu.nativeModules()
	var main *sobek.SourceTextModuleRecord
	resolve := func(_ interface{}, specifier string) (sobek.ModuleRecord, error) {
		if m, ok := natives[specifier]; ok {
			return m, nil
		}
		if specifier == path && main != nil {
			return main, nil
		}
		return nil, fmt.Errorf("unknown module: %s (the harness provides %s)", specifier, nativeNames(natives))
	}
	dir := filepath.Dir(path)
	mapLoader := parser.WithSourceMapLoader(func(p string) ([]byte, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		b, err := os.ReadFile(p)
		if err == nil {
			vu.run.noteSourceMap(p)
		}
		return b, err
	})
	main, err = sobek.ParseModule(path, string(src), resolve, mapLoader)
	if err != nil {
		return nil, err
	}
	if err := main.Link(); err != nil {
		return nil, err
	}
	vu.resolve = resolve
	return main, nil
}

func nativeNames(m map[string]*nativeModule) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// exportsObject turns a map of exports into the module's default export too, as k6's
// modules offer both `import http from 'k6/http'` and `import { get } from 'k6/http'`.
func withDefault(rt *sobek.Runtime, named map[string]sobek.Value, def sobek.Value) map[string]sobek.Value {
	if def == nil {
		obj := rt.NewObject()
		for k, v := range named {
			_ = obj.Set(k, v)
		}
		def = obj
	}
	named["default"] = def
	return named
}
