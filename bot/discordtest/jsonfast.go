package discordtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"

	"coordbot/internal/jsonscan"
)

// Decoding shortcuts for what the fake reads at every request: a request
// body's top-level object and short strings. Both give what
// json.Unmarshal gives; they skip its reflection and copying.

// errNotObject is splitObject's error for JSON that is not an object (or
// null), as json.Unmarshal into a map refuses it.
var errNotObject = errors.New("discordtest: JSON value is not an object")

// splitObject decodes b, which must be valid JSON (json.Valid), as
// json.Unmarshal decodes it into a map[string]json.RawMessage: an object's
// members (the last of a repeated key wins), nil for null, an error for
// anything else. The values are b's own bytes (capacity clipped), not
// copies: b must not change afterwards.
func splitObject(b []byte) (map[string]json.RawMessage, error) {
	i := jsonscan.SkipSpace(b, 0)
	if i < len(b) && b[i] == 'n' {
		return nil, nil
	}
	if i >= len(b) || b[i] != '{' {
		return nil, errNotObject
	}
	obj := make(map[string]json.RawMessage, 8)
	i = jsonscan.SkipSpace(b, i+1)
	if b[i] == '}' {
		return obj, nil
	}
	for {
		end := jsonscan.SkipString(b, i)
		if end < 0 {
			return nil, errNotObject
		}
		key, err := jsonStringValue(b[i:end])
		if err != nil {
			return nil, err
		}
		i = jsonscan.SkipSpace(b, end) // at ':'
		i = jsonscan.SkipSpace(b, i+1) // at the value
		vend := jsonscan.SkipValue(b, i)
		if vend < 0 {
			return nil, errNotObject
		}
		obj[key] = b[i:vend:vend]
		i = jsonscan.SkipSpace(b, vend) // at ',' or '}'
		if b[i] == '}' {
			return obj, nil
		}
		i = jsonscan.SkipSpace(b, i+1)
	}
}

// jsonStringValue decodes raw, a JSON string (quotes included), as
// json.Unmarshal decodes it into a string: plain text without escapes is
// taken as it is; anything else goes through json.
func jsonStringValue(raw []byte) (string, error) {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		inner := raw[1 : n-1]
		if bytes.IndexByte(inner, '\\') < 0 && bytes.IndexByte(inner, '"') < 0 && utf8.Valid(inner) && !hasControl(inner) {
			return string(inner), nil
		}
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// decodeString is json.Unmarshal(raw, s) for a string, with
// jsonStringValue's shortcut.
func decodeString(raw []byte, s *string) error {
	if len(raw) >= 2 && raw[0] == '"' {
		v, err := jsonStringValue(raw)
		if err == nil {
			*s = v
		}
		return err
	}
	return json.Unmarshal(raw, s)
}
