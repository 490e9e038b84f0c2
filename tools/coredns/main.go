// Command coredns is wirelab's custom CoreDNS build: stock CoreDNS with only the
// plugins the labs use, built from source by scripts/build-coredns.sh.
//
// It follows CoreDNS's own mechanism for custom builds (github.com/coredns/coredns):
//   - coredns.go: upstream's main package blank-imports core/plugin and calls
//     coremain.Run(); we do the same, but blank-import only the plugins we need.
//   - core/plugin/zplugin.go (generated from plugin.cfg): one blank import per
//     plugin; each plugin's init() calls plugin.Register(name, setup). The
//     "prometheus" directive lives in package plugin/metrics.
//   - core/dnsserver/zdirectives.go (generated from plugin.cfg): the
//     dnsserver.Directives slice. Its order, not import order and not Corefile
//     order, is the order in which plugins execute for every query;
//     core/dnsserver/directives.go (SetDirectives) and server.go document that
//     embedders select their own list. A Corefile directive missing from the
//     list is rejected at startup ("unknown directive").
//   - coremain/run.go: Run() parses the flags (-conf, -version, -plugins, ...),
//     loads the Corefile and starts the "dns" server type registered by
//     core/dnsserver.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	// The plugins, as in core/plugin/zplugin.go (alphabetical; order is irrelevant here).
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/chaos"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/file"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics" // directive "prometheus"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/whoami"
)

// directives is upstream's dnsserver.Directives (core/dnsserver/zdirectives.go,
// i.e. plugin.cfg of the CoreDNS version in go.mod) restricted to the plugins
// imported above, keeping upstream's relative order, so that a Corefile behaves
// exactly as with stock CoreDNS. Keep it in sync when adding a plugin.
var directives = []string{
	"reload",
	"bind",
	"ready",
	"health",
	"prometheus",
	"errors",
	"log",
	"chaos",
	"loadbalance",
	"cache",
	"hosts",
	"kubernetes",
	"file",
	"loop",
	"forward",
	"whoami",
}

// init runs after the init functions of all imported packages (which register
// the plugins and the "dns" server type) and before main, i.e. before any
// Corefile is parsed.
// CoreDNS v1.14 (the newest release that builds with Go 1.24, Debian 13's Go) has no
// SetDirectives yet: the exported slice is assigned, as custom builds did before it.
func init() {
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}
