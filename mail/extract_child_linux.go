package mail

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"
)

// setChildRlimits sets RLIMIT_AS to the current address space plus mem and
// RLIMIT_CPU to cpu seconds (soft and hard alike: the kernel sends SIGKILL
// at the hard limit). Zero leaves a limit alone.
func setChildRlimits(mem, cpu int64) error {
	if mem > 0 {
		base, err := addressSpace()
		if err != nil {
			return err
		}
		lim := uint64(base) + uint64(mem)
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
			return err
		}
	}
	if cpu > 0 {
		if err := syscall.Setrlimit(syscall.RLIMIT_CPU, &syscall.Rlimit{Cur: uint64(cpu), Max: uint64(cpu)}); err != nil {
			return err
		}
	}
	return nil
}

// addressSpace returns the process's virtual memory size in bytes (VmSize
// in /proc/self/status).
func addressSpace() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmSize:")); ok {
			f := bytes.Fields(rest) // "1226928 kB"
			if len(f) == 2 && string(f[1]) == "kB" {
				n, err := strconv.ParseInt(string(f[0]), 10, 64)
				if err == nil {
					return n << 10, nil
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errNoVmSize
}

// errNoVmSize: /proc/self/status had no VmSize line.
var errNoVmSize = errors.New("mail: no VmSize in /proc/self/status")
