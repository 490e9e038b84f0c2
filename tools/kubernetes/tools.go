//go:build tools

// The commands scripts/build-kubernetes.sh builds are main packages of k8s.io/kubernetes itself
// (go build k8s.io/kubernetes/cmd/kube-apiserver, ..., test/images/agnhost). This file imports
// what their main packages import, so go.mod and go.sum name everything the build needs (a
// clean checkout builds with the sums as committed).
package tools

import (
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	_ "k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs"
	_ "k8s.io/kubectl/pkg/cmd"
	_ "k8s.io/kubectl/pkg/cmd/util"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-proxy/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
	_ "k8s.io/kubernetes/test/images/agnhost/audit-proxy"
	_ "k8s.io/kubernetes/test/images/agnhost/connect"
	_ "k8s.io/kubernetes/test/images/agnhost/crd-conversion-webhook"
	_ "k8s.io/kubernetes/test/images/agnhost/dns"
	_ "k8s.io/kubernetes/test/images/agnhost/entrypoint-tester"
	_ "k8s.io/kubernetes/test/images/agnhost/fakegitserver"
	_ "k8s.io/kubernetes/test/images/agnhost/grpc-health-checking"
	_ "k8s.io/kubernetes/test/images/agnhost/guestbook"
	_ "k8s.io/kubernetes/test/images/agnhost/inclusterclient"
	_ "k8s.io/kubernetes/test/images/agnhost/liveness"
	_ "k8s.io/kubernetes/test/images/agnhost/logs-generator"
	_ "k8s.io/kubernetes/test/images/agnhost/mounttest"
	_ "k8s.io/kubernetes/test/images/agnhost/net"
	_ "k8s.io/kubernetes/test/images/agnhost/netexec"
	_ "k8s.io/kubernetes/test/images/agnhost/nettest"
	_ "k8s.io/kubernetes/test/images/agnhost/no-snat-test"
	_ "k8s.io/kubernetes/test/images/agnhost/no-snat-test-proxy"
	_ "k8s.io/kubernetes/test/images/agnhost/openidmetadata"
	_ "k8s.io/kubernetes/test/images/agnhost/pause"
	_ "k8s.io/kubernetes/test/images/agnhost/podcertificatesigner"
	_ "k8s.io/kubernetes/test/images/agnhost/port-forward-tester"
	_ "k8s.io/kubernetes/test/images/agnhost/porter"
	_ "k8s.io/kubernetes/test/images/agnhost/resource-consumer-controller"
	_ "k8s.io/kubernetes/test/images/agnhost/serve-hostname"
	_ "k8s.io/kubernetes/test/images/agnhost/tcp-reset"
	_ "k8s.io/kubernetes/test/images/agnhost/test-webserver"
	_ "k8s.io/kubernetes/test/images/agnhost/webhook"
	_ "k8s.io/kubernetes/third_party/forked/vishhstress"
)
