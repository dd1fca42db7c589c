package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
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
