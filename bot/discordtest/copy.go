package discordtest

import "reflect"

// deepCopy returns a copy of *v that shares nothing that can be changed
// with it: what the fake hands out of a value it keeps (a decoded message)
// is the caller's to change, as a fresh decoding would be. It copies
// pointers, interfaces, slices, maps, arrays and the exported fields of
// structs; unexported fields are copied as they are, which is right for
// what encoding/json decodes (only custom unmarshalers such as
// time.Time's fill them, with values, not shared state).
func deepCopy[T any](v *T) *T {
	if v == nil {
		return nil
	}
	out := new(T)
	copyInto(reflect.ValueOf(out).Elem(), reflect.ValueOf(v).Elem())
	return out
}

// copyInto sets dst, settable and zero (or already holding src's shallow
// copy), to a deep copy of src.
func copyInto(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		p := reflect.New(src.Type().Elem())
		copyInto(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Interface:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		e := src.Elem()
		c := reflect.New(e.Type()).Elem()
		copyInto(c, e)
		dst.Set(c)
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		if deepKind(src.Type().Elem().Kind()) {
			for i := range src.Len() {
				copyInto(s.Index(i), src.Index(i))
			}
		} else {
			reflect.Copy(s, src)
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		t := src.Type()
		m := reflect.MakeMapWithSize(t, src.Len())
		for it := src.MapRange(); it.Next(); {
			k := reflect.New(t.Key()).Elem()
			copyInto(k, it.Key())
			v := reflect.New(t.Elem()).Elem()
			copyInto(v, it.Value())
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	case reflect.Struct:
		dst.Set(src)
		for i := range dst.NumField() {
			// Exported fields are the settable ones; unexported ones keep
			// the shallow copy.
			if f := dst.Field(i); f.CanSet() && deepKind(f.Kind()) {
				copyInto(f, src.Field(i))
			}
		}
	case reflect.Array:
		dst.Set(src)
		if deepKind(src.Type().Elem().Kind()) {
			for i := range src.Len() {
				copyInto(dst.Index(i), src.Index(i))
			}
		}
	default:
		dst.Set(src)
	}
}

// deepKind reports whether values of kind k may share state when copied
// by assignment.
func deepKind(k reflect.Kind) bool {
	switch k {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map, reflect.Struct, reflect.Array:
		return true
	}
	return false
}
