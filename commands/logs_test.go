package commands

import (
	"testing"

	"github.com/convex-go/convex/deployments"
)

func TestLogsNotice(t *testing.T) {
	for _, c := range []struct {
		t    deployments.Target
		want string
	}{
		{deployments.Target{Kind: deployments.KindAnonymous, Name: "anonymous-todos", Source: "CONVEX_DEPLOYMENT"}, "local deployment anonymous-todos (no account)"},
		{deployments.Target{Kind: deployments.KindAnonymous, Name: "anonymous-todos", Auth: "token"}, "local deployment anonymous-todos (not linked to a cloud project)"},
		{deployments.Target{Kind: deployments.KindLocal, Name: "local-acme-chat", Team: "acme", Project: "chat"}, "local deployment local-acme-chat in acme:chat"},
		{deployments.Target{Kind: deployments.KindPreview, Name: "gentle-cat-7", Source: "CONVEX_DEPLOY_KEY"}, "preview deployment gentle-cat-7"},
		{deployments.Target{Kind: deployments.KindProd, Name: "brave-animal-101"}, "production deployment brave-animal-101"},
		{deployments.Target{Kind: deployments.KindDev, Name: "calm-animal-102", Team: "acme", Project: "chat"}, "dev deployment calm-animal-102"},
		{deployments.Target{Kind: deployments.KindSelfHosted, URL: "http://127.0.0.1:1"}, "dev deployment"},
	} {
		if got := logsNotice(c.t); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.t.Kind, c.t.Name, got, c.want)
		}
	}
}
