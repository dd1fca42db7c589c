//go:build !linux

package mail

// setChildRlimits is a no-op off Linux: the child still has its deadline,
// its soft Go memory limit and its stack limit.
func setChildRlimits(mem, cpu int64) error { return nil }
