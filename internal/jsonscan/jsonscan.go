// Package jsonscan steps over JSON without decoding it: the top-level
// members of an object, a value's extent. It serves hot paths that need
// one member of a large payload (the gateway's envelope, an interaction
// without its message) where encoding/json would scan everything twice.
// Nothing here validates the values it steps over: whoever decodes them
// does.
package jsonscan

import "unicode/utf8"

// EachMember calls fn with each member of the JSON object data: its key
// (raw, without quotes; a key with an escape makes EachMember fail), the
// index where the member's key begins, and where its value begins and
// ends (data[start:end], raw, not validated: see SkipValue). It stops and
// fails when fn returns false or data is not an object it can read.
func EachMember(data []byte, fn func(key []byte, at, start, end int) bool) bool {
	i := SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return SkipSpace(data, i+1) == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return false
		}
		at := i
		end := i + 1
		for end < len(data) && data[end] != '"' && data[end] != '\\' {
			end++
		}
		if end >= len(data) || data[end] != '"' {
			return false
		}
		key := data[i+1 : end]
		i = SkipSpace(data, end+1)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = SkipSpace(data, i+1)
		start := i
		i = SkipValue(data, i)
		if i < 0 || !fn(key, at, start, i) {
			return false
		}
		var more, ok bool
		if i, more, ok = nextItem(data, i, '}'); !more {
			return ok
		}
	}
}

// WithoutMember returns the JSON object data without its member named
// key (a new slice), or data itself when it has none or cannot be read
// that way.
func WithoutMember(data []byte, key string) []byte {
	from, to := -1, -1
	prevEnd, lastEnd := -1, -1 // end of the value before the member, of the last value
	ok := EachMember(data, func(k []byte, at, _, end int) bool {
		if from < 0 && string(k) == key {
			from, to, prevEnd = at, end, lastEnd
		}
		lastEnd = end
		return true
	})
	if !ok || from < 0 {
		return data
	}
	out := make([]byte, 0, len(data)-(to-from))
	if prevEnd >= 0 {
		// Not the first member: drop from the end of the value before it
		// (the comma between them included) to the end of its own value.
		out = append(out, data[:prevEnd]...)
		return append(out, data[to:]...)
	}
	// The first member: drop it and the comma after it, if any.
	rest := SkipSpace(data, to)
	if rest < len(data) && data[rest] == ',' {
		rest++
	}
	out = append(out, data[:from]...)
	return append(out, data[rest:]...)
}

// SkipSpace returns the index of the first byte at or after i that is
// not JSON white space.
func SkipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// SkipValue returns the index after the JSON value at data[i], or -1.
// Strings are stepped over with their escapes; objects and arrays by
// counting brackets outside strings; anything else (numbers, true,
// false, null) up to the next delimiter.
func SkipValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return SkipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = SkipString(data, i)
				if i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	case '}', ']', ',', ':':
		return -1
	}
	start := i
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if i == start {
				return -1
			}
			return i
		}
		i++
	}
	return -1
}

// SkipString returns the index after the string starting at data[i] (a
// quote), or -1.
func SkipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// EachElement calls fn with where each element of the JSON array data
// begins and ends (data[start:end], raw, not validated: see SkipValue).
// It stops and fails when fn returns false or data is not an array it
// can read.
func EachElement(data []byte, fn func(start, end int) bool) bool {
	i := SkipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return false
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return SkipSpace(data, i+1) == len(data)
	}
	for {
		start := i
		i = SkipValue(data, i)
		if i < 0 || !fn(start, i) {
			return false
		}
		var more, ok bool
		if i, more, ok = nextItem(data, i, ']'); !more {
			return ok
		}
	}
}

// nextItem steps over what follows a member or element ending at
// data[i] in an object or array closed by end: a comma, and then more is
// true and j is where the next one begins; or end, and then ok says
// whether only white space follows it.
func nextItem(data []byte, i int, end byte) (j int, more, ok bool) {
	i = SkipSpace(data, i)
	switch {
	case i >= len(data):
		return 0, false, false
	case data[i] == ',':
		return SkipSpace(data, i+1), true, true
	case data[i] == end:
		return 0, false, SkipSpace(data, i+1) == len(data)
	}
	return 0, false, false
}

// PlainString returns the JSON string raw (with its quotes) as a Go
// string when it needs no decoding: no escapes, no control characters,
// valid UTF-8, the way encoding/json would decode it. ok is false for
// anything else, which the caller decodes with encoding/json.
func PlainString(raw []byte) (s string, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	ascii := true
	for _, c := range body {
		switch {
		case c < 0x20 || c == '"' || c == '\\':
			return "", false
		case c >= 0x80:
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(body) {
		return "", false
	}
	return string(body), true
}
