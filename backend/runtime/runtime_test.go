package runtime

import (
	"testing"
)

func TestChatMutationsAndQueries(t *testing.T) {
	d := newDeployment(t, Options{})
	general := jsonStr(t, d.ok(KindMutation, "channels:create", `{"name":"general","topic":"Company-wide chatter"}`))
	if general == "" {
		t.Fatal("empty id")
	}
	m1 := jsonStr(t, d.ok(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"alice","body":"hello everyone"}`))
	m2 := jsonStr(t, d.ok(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"bob","body":"hi alice"}`))
	m3 := jsonStr(t, d.ok(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"alice","body":"  standup at 10  "}`))
	list := decodeJSON(t, d.ok(KindQuery, "messages:list", `{"channelId":"`+general+`"}`)).([]any)
	if len(list) != 3 {
		t.Fatalf("list: %v", list)
	}
	ids := []string{}
	for _, m := range list {
		ids = append(ids, m.(map[string]any)["_id"].(string))
	}
	if ids[0] != m3 || ids[1] != m2 || ids[2] != m1 {
		t.Fatalf("order %v, want %v", ids, []string{m3, m2, m1})
	}
	if body := list[0].(map[string]any)["body"]; body != "standup at 10" {
		t.Fatalf("body not trimmed: %q", body)
	}
	ch := decodeJSON(t, d.ok(KindQuery, "channels:get", `{"channelId":"`+general+`"}`)).(map[string]any)
	if ch["messageCount"] != 3.0 || ch["name"] != "general" {
		t.Fatalf("channel %v", ch)
	}
	page := decodeJSON(t, d.ok(KindQuery, "messages:page", `{"channelId":"`+general+`","paginationOpts":{"numItems":2,"cursor":null}}`)).(map[string]any)
	if len(page["page"].([]any)) != 2 || page["isDone"] != false {
		t.Fatalf("page %v", page)
	}
	users := d.ok(KindQuery, "users:list", `{}`)
	if users != `["alice","bob"]` {
		t.Fatalf("users %s", users)
	}
}

func TestChatErrors(t *testing.T) {
	d := newDeployment(t, Options{})
	general := jsonStr(t, d.ok(KindMutation, "channels:create", `{"name":"general"}`))

	fe := d.fails(KindMutation, "channels:create", `{"name":" General "}`)
	t.Logf("duplicate: %s", fe.Message)
	if string(fe.Data) != `{"code":"DUPLICATE","message":"Channel #general already exists"}` {
		t.Fatalf("ConvexError data = %s", fe.Data)
	}
	mustContain(t, fe.Message, "Uncaught ConvexError: ")
	mustContain(t, fe.Message, "../convex/channels.ts:")

	fe = d.fails(KindMutation, "messages:send", `{"channelId":"`+general+`","body":"no author"}`)
	t.Logf("missing arg: %s", fe.Message)
	mustContain(t, fe.Message, "ArgumentValidationError")
	mustContain(t, fe.Message, "author")
	if fe.Data != nil {
		t.Fatalf("validation error has data %s", fe.Data)
	}

	fe = d.fails(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"a","body":"b","extra":1}`)
	mustContain(t, fe.Message, "ArgumentValidationError")

	fe = d.fails(KindMutation, "messages:send", `[{"channelId":1}, {}]`)
	mustContain(t, fe.Message, "ArgumentValidationError")

	fe = d.fails(KindMutation, "messages:postAsBot", `{"channelId":"`+general+`","author":"mallory","body":"spoofed"}`)
	mustContain(t, fe.Message, "Could not find public function for 'messages:postAsBot'")
	// The same call is allowed for internal callers.
	if res := d.run(KindMutation, "messages:postAsBot", `{"channelId":"`+general+`","author":"bot","body":"hi"}`, true); res.Err != nil {
		t.Fatalf("internal call: %s", res.Err.Message)
	}

	fe = d.fails(KindQuery, "messages:send", `{"channelId":"`+general+`","author":"m","body":"x"}`)
	mustContain(t, fe.Message, "Trying to execute messages:send as Query, but it is defined as Mutation.")

	fe = d.fails(KindQuery, "messages:nope", `{}`)
	mustContain(t, fe.Message, "Could not find public function for 'messages:nope'")
	fe = d.fails(KindQuery, "nomodule:list", `{}`)
	mustContain(t, fe.Message, "Could not find public function for 'nomodule:list'")
	fe = d.fails(KindQuery, "_deps/"+"X:list", `{}`)
	mustContain(t, fe.Message, "Could not find public function")

	// A failed mutation leaves nothing behind (the caller rolls back).
	fe = d.fails(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"bob","body":"   "}`)
	if string(fe.Data) != `{"code":"BAD_BODY","message":"Message body must be 1-2000 characters"}` {
		t.Fatalf("BAD_BODY data = %s", fe.Data)
	}
	if users := d.ok(KindQuery, "users:list", `{}`); users != `["bot"]` {
		t.Fatalf("users after failed send: %s", users)
	}
}
