//go:build tools

// The commands scripts/build-kubernetes.sh builds are main packages of k8s.io/kubernetes itself
// (go build k8s.io/kubernetes/cmd/kube-apiserver, ...). This file keeps their libraries in this
// module's dependency graph, so go.mod and go.sum name everything the build needs.
package tools

import (
	_ "k8s.io/kubectl/pkg/cmd"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-proxy/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
)
