package e2e_test

import (
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"
)

// Script command:
//
//	chatapp
//	    copies the chat sample app (e2e/testdata/backend/chat: schema,
//	    queries, mutations, actions, crons, HTTP routes) into $WORK.
func init() {
	scriptCmds["chatapp"] = cmdChatApp
}

func cmdChatApp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: chatapp")
	}
	src, err := filepath.Abs(filepath.Join("testdata", "backend", "chat"))
	if err != nil {
		ts.Fatalf("chatapp: %v", err)
	}
	if err := os.CopyFS(ts.MkAbs("."), os.DirFS(src)); err != nil {
		ts.Fatalf("chatapp: %v", err)
	}
}
