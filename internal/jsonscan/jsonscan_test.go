package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzWithoutMember checks that cutting a member out of an object leaves
// an object that json reads as the original without that member.
func FuzzWithoutMember(f *testing.F) {
	for _, seed := range []string{
		`{"id":"1","message":{"content":"a \"b\" {c}","embeds":[]},"type":3}`,
		`{"message":{"x":[1,2]}, "id":"1"}`,
		`{"id":"1","message":null}`,
		` {"message" : 5 } `,
		`{"a":1,"message":2,"message":3}`,
		`{"id":"1"}`,
		`{}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var orig map[string]json.RawMessage
		if json.Unmarshal(data, &orig) != nil {
			return
		}
		cut := WithoutMember(data, "message")
		var got map[string]json.RawMessage
		if err := json.Unmarshal(cut, &got); err != nil {
			t.Fatalf("WithoutMember(%q) = %q: %v", data, cut, err)
		}
		if _, ok := got["message"]; ok && string(cut) != string(data) {
			// A second "message" member may remain; only the first is cut.
			n := strings.Count(string(data), `"message"`)
			if n < 2 {
				t.Fatalf("WithoutMember(%q) = %q still has message", data, cut)
			}
		}
		for k, v := range orig {
			if k == "message" {
				continue
			}
			if string(got[k]) != string(v) {
				t.Fatalf("WithoutMember(%q) = %q: %s changed", data, cut, k)
			}
		}
	})
}

// FuzzPlainString checks that a string PlainString takes is the one
// encoding/json decodes.
func FuzzPlainString(f *testing.F) {
	for _, seed := range []string{`"abc"`, `"Člen 1"`, `"a\"b"`, `"a\u0041"`, "\"\xff\"", "\"a\tb\"", `""`, `"`, `5`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := PlainString(raw)
		var want string
		err := json.Unmarshal(raw, &want)
		if ok && (err != nil || got != want) {
			t.Fatalf("PlainString(%q) = %q, json gives %q, %v", raw, got, want, err)
		}
		// Refusing is right only for escapes, control characters,
		// invalid UTF-8 (which json replaces) and space around the quotes.
		if !ok && err == nil && raw[0] == '"' && raw[len(raw)-1] == '"' && !strings.Contains(string(raw), "\\") && utf8.Valid(raw) && !hasControl(raw) {
			t.Fatalf("PlainString(%q) refused a plain string", raw)
		}
	})
}

func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// FuzzEachElement checks that the elements EachElement yields are the
// ones encoding/json reads from an array.
func FuzzEachElement(f *testing.F) {
	for _, seed := range []string{`[]`, ` [ "a" , "b" ] `, `["a\"]",{"x":[1]},null,3]`, `[1,]`, `[`, `{}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want []json.RawMessage
		if json.Unmarshal(data, &want) != nil {
			return
		}
		var got []string
		if !EachElement(data, func(start, end int) bool {
			got = append(got, string(data[start:end]))
			return true
		}) {
			t.Fatalf("EachElement(%q) failed on a valid array", data)
		}
		if len(got) != len(want) {
			t.Fatalf("EachElement(%q) = %q, want %d elements", data, got, len(want))
		}
		for i := range got {
			if got[i] != strings.TrimSpace(string(want[i])) {
				t.Fatalf("EachElement(%q)[%d] = %q, want %q", data, i, got[i], want[i])
			}
		}
	})
}
