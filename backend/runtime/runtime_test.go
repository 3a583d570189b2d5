package runtime

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
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
	// Scheduling from a mutation goes through the transaction (store rows).
	d.ok(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"bob","body":"ephemeral","expiresInMs":3000}`)
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

	// An id of the wrong table is refused before the function runs.
	msgID := jsonStr(t, d.ok(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"zed","body":"hi"}`))
	fe = d.fails(KindQuery, "channels:get", `{"channelId":"`+msgID+`"}`)
	mustContain(t, fe.Message, "ArgumentValidationError")
	d.ok(KindMutation, "messages:remove", `{"messageId":"`+msgID+`"}`)

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

	info, err := d.ms.Lookup(context.Background(), "messages:postAsBot", nil)
	if err != nil || info == nil || info.UdfType != KindMutation || info.Visibility != "internal" || !strings.Contains(info.Args, `"author"`) || !strings.Contains(info.Returns, `"id"`) {
		t.Fatalf("Lookup: %+v %v", info, err)
	}
	if info, err := d.ms.Lookup(context.Background(), "messages:nope", nil); info != nil || err != nil {
		t.Fatalf("Lookup of a missing function: %+v %v", info, err)
	}

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
	if users := d.ok(KindQuery, "users:list", `{}`); users != `["bot","zed"]` {
		t.Fatalf("users after failed send: %s", users)
	}
}

func TestChatActionAndHTTP(t *testing.T) {
	d := newDeployment(t, Options{SiteURL: "http://127.0.0.1:3211"})
	general := jsonStr(t, d.ok(KindMutation, "channels:create", `{"name":"general"}`))
	d.ok(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"alice","body":"one"}`)
	d.ok(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"bob","body":"two"}`)
	d.ok(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"alice","body":"three"}`)

	out := decodeJSON(t, d.ok(KindAction, "actions:summarize", `{"channelId":"`+general+`"}`)).(map[string]any)
	if out["summary"] != "#general: 3 messages from 2 people (alice, bob)" || out["botName"] != "digest-bot" {
		t.Fatalf("summarize: %v", out)
	}
	latest := decodeJSON(t, d.ok(KindQuery, "messages:list", `{"channelId":"`+general+`","limit":1}`)).([]any)[0].(map[string]any)
	if latest["_id"] != out["messageId"] || latest["author"] != "digest-bot" || latest["kind"] != "bot" {
		t.Fatalf("bot message: %v", latest)
	}
	// A ConvexError thrown by a nested runQuery keeps its data through the action.
	d.ok(KindMutation, "channels:remove", `{"channelId":"`+general+`"}`)
	fe := d.fails(KindAction, "actions:summarize", `{"channelId":"`+general+`"}`)
	if string(fe.Data) != `{"code":"NOT_FOUND","message":"Unknown channel"}` {
		t.Fatalf("action ConvexError data %s (%s)", fe.Data, fe.Message)
	}

	random := jsonStr(t, d.ok(KindMutation, "channels:create", `{"name":"random"}`))
	d.ok(KindMutation, "messages:send", `{"channelId":"`+random+`","author":"carol","body":"hey"}`)
	httpDo := func(method, target, body string) *HTTPResponse {
		t.Helper()
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		resp, _, err := d.ms.RunHTTP(context.Background(), req, d, d.env)
		if err != nil {
			t.Fatalf("%s %s: %v", method, target, err)
		}
		return resp
	}
	r := httpDo("GET", "/channels", "")
	if r.Status != 200 || string(r.Body) != `[{"name":"random","messageCount":1}]` || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /channels: %d %v %s", r.Status, r.Header, r.Body)
	}
	r = httpDo("GET", "/messages?channel=random&limit=5", "")
	if r.Status != 200 || string(r.Body) != `[{"author":"carol","body":"hey"}]` {
		t.Fatalf("GET /messages: %d %s", r.Status, r.Body)
	}
	r = httpDo("POST", "/messages", `{"channel":"random","author":"dave","body":"posted"}`)
	if r.Status != 201 || !strings.HasPrefix(string(r.Body), `{"id":"`) {
		t.Fatalf("POST /messages: %d %s", r.Status, r.Body)
	}
	r = httpDo("POST", "/messages", `{"channel":"nope","author":"dave","body":"x"}`)
	if r.Status != 404 || string(r.Body) != `{"error":"NOT_FOUND"}` {
		t.Fatalf("POST unknown channel: %d %s", r.Status, r.Body)
	}
	r = httpDo("POST", "/messages", `{"channel":"random","author":"dave","body":"   "}`)
	if r.Status != 400 || string(r.Body) != `{"error":"BAD_BODY"}` {
		t.Fatalf("POST blank body: %d %s", r.Status, r.Body)
	}
	r = httpDo("POST", "/messages", `not json`)
	if r.Status != 400 || string(r.Body) != `{"error":"BAD_JSON"}` {
		t.Fatalf("POST bad JSON: %d %s", r.Status, r.Body)
	}
	r = httpDo("GET", "/nowhere", "")
	if r.Status != 404 || string(r.Body) != "No matching routes found" {
		t.Fatalf("GET /nowhere: %d %s", r.Status, r.Body)
	}
	r = httpDo("HEAD", "/channels", "")
	if r.Status != 200 || len(r.Body) != 0 {
		t.Fatalf("HEAD /channels: %d %q", r.Status, r.Body)
	}
	if msgs := d.ok(KindQuery, "messages:byAuthor", `{"channelId":"`+random+`","author":"dave"}`); !strings.Contains(msgs, `"body":"posted"`) {
		t.Fatalf("posted message missing: %s", msgs)
	}
}

func TestConcurrentCalls(t *testing.T) {
	d := newDeployment(t, Options{MaxIdleVMs: 2})
	general := jsonStr(t, d.ok(KindMutation, "channels:create", `{"name":"general"}`))
	d.ok(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"alice","body":"one"}`)
	errs := make(chan string, 64)
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				tx, err := d.st.Begin(false)
				if err != nil {
					errs <- err.Error()
					return
				}
				res := d.ms.Run(context.Background(), Request{Path: "messages:list", Kind: KindQuery, Args: []byte(`{"channelId":"` + general + `"}`), DB: tx})
				tx.Rollback()
				if res.Err != nil {
					errs <- res.Err.Message
				} else if !strings.Contains(string(res.Value), `"body":"one"`) {
					errs <- "wrong result " + string(res.Value)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(d.ms.pool); n > 2 {
		t.Fatalf("pool grew to %d VMs, limit 2", n)
	}
}

func TestFreshVMs(t *testing.T) {
	d := newDeployment(t, Options{FreshVMs: true})
	general := jsonStr(t, d.ok(KindMutation, "channels:create", `{"name":"general"}`))
	d.ok(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"alice","body":"one"}`)
	if got := d.ok(KindQuery, "users:list", `{}`); got != `["alice"]` {
		t.Fatalf("users: %s", got)
	}
	if n := len(d.ms.pool); n != 0 {
		t.Fatalf("FreshVMs pooled %d VMs", n)
	}
}
