package commands

import (
	"flag"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/config"
)

func TestAuditMessage(t *testing.T) {
	ctx := func(args ...string) *cli.Context {
		fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
		fs.String("message", "", "")
		fs.Parse(args)
		return cli.NewContext(nil, fs, nil)
	}
	cases := []struct {
		env  config.MapEnv
		args []string
		want string
	}{
		{config.MapEnv{}, nil, ""},
		{config.MapEnv{"GITHUB_ACTIONS": "true", "GITHUB_SHA": "0123456789abcdef"}, nil, "Deployed from GitHub Actions • 0123456"},
		{config.MapEnv{"VERCEL": "1"}, nil, "Deployed from Vercel"},
		{config.MapEnv{"GITHUB_ACTIONS": "true"}, []string{"-message", "by hand"}, "by hand"},
		{config.MapEnv{"BUILD_ID": "b", "PROJECT_ID": "p", "PROJECT_NUMBER": "1", "LOCATION": "eu", "SHORT_SHA": "abc1234"}, nil, "Deployed from Google Cloud Build • abc1234"},
		{config.MapEnv{"DYNO": "web.1"}, nil, "Deployed from Heroku"},
	}
	for _, c := range cases {
		got := auditMessage(ctx(c.args...), c.env)
		s := ""
		if got != nil {
			s = *got
		}
		if s != c.want {
			t.Errorf("env %v args %v: %q, want %q", c.env, c.args, s, c.want)
		}
	}
}
