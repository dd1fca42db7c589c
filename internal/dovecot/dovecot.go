// Package dovecot starts a throwaway Dovecot IMAP server on a loopback port
// for tests and benchmarks.
//
// The server gets its own configuration, run directory, log, password file
// and Maildir under one directory; it shares nothing with a Dovecot the
// machine may run as a service. Messages are put into a mailbox by writing
// them straight into its Maildir (Deliver), which is fast enough for tens of
// thousands of messages.
//
// Run as root (as in CI), Dovecot refuses to run login or mail processes as
// root, so the login processes run as "dovenull", the internal ones as
// "dovecot" (both created by the Debian dovecot-core package) and the mail
// user as an unprivileged system user that owns the Maildir: "vmail" if the
// machine has one, else "nobody". Run as another user, everything runs as
// that user.
package dovecot

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrNotInstalled is returned by Start when the dovecot binary cannot be
// found. Tests skip on it (Debian: apt-get install dovecot-imapd).
var ErrNotInstalled = errors.New("dovecot: not installed (install dovecot-imapd)")

// Timeouts of Start and Stop.
const (
	// readyTimeout bounds the wait for the IMAP greeting after start.
	readyTimeout = 20 * time.Second
	// stopTimeout bounds the wait for the master to exit after SIGTERM,
	// before it and its process group are killed.
	stopTimeout = 15 * time.Second
)

// Server is a running Dovecot. Its fields are for reading; Stop it when done.
type Server struct {
	// Addr is the IMAP listener, "127.0.0.1:port"; it speaks plain IMAP
	// (no TLS) and accepts LOGIN and AUTHENTICATE PLAIN.
	Addr string
	// User and Password log in to the one account.
	User, Password string
	// Dir holds everything of this server: dovecot.conf, the log, the run
	// directory and the account's home with its Maildir.
	Dir string
	// ConfigPath is the dovecot.conf written for this server (for doveadm -c).
	ConfigPath string
	// LogPath is Dovecot's log file; its tail is in Start's errors.
	LogPath string

	home       string
	uid, gid   int
	cmd        *exec.Cmd
	exited     chan struct{} // closed when the master process has exited
	waitErr    error         // the master's exit status, valid after exited
	removeDir  bool          // Start made Dir: Stop removes it
	deliveries atomic.Uint64
	stopOnce   sync.Once
	stopErr    error
}

// Start starts Dovecot with its own configuration under dir, listening on a
// free loopback port, and returns once the port answers with an IMAP
// greeting. dir is created if missing; "" makes a fresh directory under
// os.TempDir() that Stop removes. Because the mail user is not root, every
// directory above dir must be searchable by others: Start adds the search
// (x) permission to those it owns below os.TempDir() (t.TempDir() makes them
// 0700) and fails on any other that lacks it.
//
// It returns ErrNotInstalled when the dovecot binary is missing.
func Start(dir string) (*Server, error) {
	bin, err := findBinary("dovecot")
	if err != nil {
		return nil, err
	}
	s := &Server{User: "coordbot"}
	if dir == "" {
		// Short: Dovecot's unix socket paths under base_dir must fit 108 bytes.
		if dir, err = os.MkdirTemp("", "dovecot-"); err != nil {
			return nil, fmt.Errorf("dovecot: %w", err)
		}
		s.removeDir = true
	} else if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("dovecot: %w", err)
	}
	s.Dir = dir
	ok := false
	defer func() {
		if !ok && s.removeDir {
			os.RemoveAll(dir)
		}
	}()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("dovecot: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("dovecot: %w", err)
	}
	if err := makeTraversable(dir); err != nil {
		return nil, err
	}
	runAs, err := pickUsers()
	if err != nil {
		return nil, err
	}
	s.uid, s.gid = runAs.mailUID, runAs.mailGID
	pw := make([]byte, 12)
	if _, err := rand.Read(pw); err != nil {
		return nil, fmt.Errorf("dovecot: %w", err)
	}
	s.Password = hex.EncodeToString(pw)
	s.home = filepath.Join(dir, "home", s.User)
	s.ConfigPath = filepath.Join(dir, "dovecot.conf")
	s.LogPath = filepath.Join(dir, "dovecot.log")

	for _, d := range []string{filepath.Join(dir, "run"), filepath.Join(dir, "state"), filepath.Join(dir, "home")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("dovecot: %w", err)
		}
	}
	if err := s.mkdirOwned(s.home); err != nil {
		return nil, err
	}
	if err := s.makeMaildir(s.MaildirPath("INBOX")); err != nil {
		return nil, err
	}
	passwd := fmt.Sprintf("%s:{PLAIN}%s:%d:%d::%s::\n", s.User, s.Password, s.uid, s.gid, s.home)
	// Read by the auth process, which runs as default_internal_user.
	if err := writeOwned(filepath.Join(dir, "passwd"), []byte(passwd), os.Geteuid(), runAs.internalGID); err != nil {
		return nil, fmt.Errorf("dovecot: %w", err)
	}
	if err := os.Chmod(filepath.Join(dir, "passwd"), 0o640); err != nil {
		return nil, fmt.Errorf("dovecot: %w", err)
	}

	// A free port is found by binding :0 and closing; another process may
	// take it in between, so a failed bind is retried on a new port.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		conf := s.config(runAs, port)
		if err := os.WriteFile(s.ConfigPath, []byte(conf), 0o644); err != nil {
			return nil, fmt.Errorf("dovecot: %w", err)
		}
		if lastErr = s.launch(bin); lastErr == nil {
			ok = true
			return s, nil
		}
		if !strings.Contains(lastErr.Error(), "in use") {
			break
		}
	}
	return nil, lastErr
}

// launch runs `dovecot -F` and waits for the greeting.
func (s *Server) launch(bin string) error {
	// A log from a failed attempt would confuse the error message.
	os.Remove(s.LogPath)
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	defer devnull.Close()
	cmd := exec.Command(bin, "-F", "-c", s.ConfigPath)
	// Files, not pipes: a parent waiting on a pipe that Dovecot's children
	// inherit would hang.
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.Dir = s.Dir
	// Its own process group, so Stop can kill what is left of it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC"}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("dovecot: start: %w", err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(readyTimeout); err != nil {
		s.kill()
		return fmt.Errorf("dovecot: %w%s", err, s.logTail())
	}
	return nil
}

// waitReady polls the port until it answers with an IMAP greeting, the
// master exits or the deadline passes.
func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	delay := 5 * time.Millisecond
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("dovecot exited during start (%v)", s.waitErr)
		default:
		}
		greeting, err := greet(s.Addr, time.Until(deadline))
		if err == nil {
			if strings.HasPrefix(greeting, "* OK") {
				return nil
			}
			return fmt.Errorf("unexpected greeting %q", greeting)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no IMAP greeting on %s within %v: %v", s.Addr, timeout, err)
		}
		select {
		case <-s.exited:
		case <-time.After(delay):
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// greet connects to addr and reads the first line.
func greet(addr string, timeout time.Duration) (string, error) {
	timeout = max(min(timeout, 2*time.Second), 100*time.Millisecond)
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", err
	}
	c.Write([]byte("a LOGOUT\r\n"))
	return strings.TrimSpace(line), nil
}

// Stop stops Dovecot (SIGTERM to the master, SIGKILL to its process group
// if it has not exited within a bound) and waits for it to exit. It removes
// Dir when Start made it. Calling it again returns the first result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.stopErr = s.stop()
		if s.removeDir {
			if err := os.RemoveAll(s.Dir); err != nil && s.stopErr == nil {
				s.stopErr = fmt.Errorf("dovecot: %w", err)
			}
		}
	})
	return s.stopErr
}

func (s *Server) stop() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	select {
	case <-s.exited:
		return fmt.Errorf("dovecot: the master had exited before Stop (%v)%s", s.waitErr, s.logTail())
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("dovecot: stop: %w", err)
	}
	select {
	case <-s.exited:
		// The master kills its children before it exits; anything left in
		// the group (none expected) goes too.
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		return nil
	case <-time.After(stopTimeout):
		s.kill()
		return fmt.Errorf("dovecot: did not exit within %v of SIGTERM; killed", stopTimeout)
	}
}

// Restart stops Dovecot (as Stop does, without removing anything) and
// starts it again with the same configuration, directory, account and
// port, and returns once the port answers again; clients see their
// connections cut and must reconnect. Messages delivered while it was down
// are in the Maildir when it is back. It must not be called after or
// concurrently with Stop. A master that has exited by itself is just
// started again.
func (s *Server) Restart() error {
	if s.cmd == nil {
		return errors.New("dovecot: restart of a server that was never started")
	}
	select {
	case <-s.exited:
		// Already gone (killed from outside): just start it again.
	default:
		if err := s.stop(); err != nil {
			return err
		}
	}
	bin, err := findBinary("dovecot")
	if err != nil {
		return err
	}
	// The master listens with SO_REUSEADDR, so the port is free again at
	// once; a bind that still fails is retried briefly.
	deadline := time.Now().Add(readyTimeout)
	for {
		err := s.launch(bin)
		if err == nil || !strings.Contains(err.Error(), "in use") || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// kill ends the master's process group and waits for the master.
func (s *Server) kill() {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
	}
}

// logTail is the end of the log, for error messages.
func (s *Server) logTail() string {
	b, err := os.ReadFile(s.LogPath)
	if err != nil || len(b) == 0 {
		return ""
	}
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return "\ndovecot log (" + s.LogPath + "):\n" + strings.TrimSpace(string(b))
}

// MaildirPath returns the Maildir folder of a mailbox: INBOX (any case) is
// ~/Maildir, another mailbox ~/Maildir/.Name (Maildir++ layout: the
// hierarchy separator is ".", so "Archive.2027" is ~/Maildir/.Archive.2027,
// "/" is not allowed in names, and non-ASCII names are stored in modified
// UTF-7, as Dovecot does).
func (s *Server) MaildirPath(mailbox string) string {
	root := filepath.Join(s.home, "Maildir")
	if strings.EqualFold(mailbox, "INBOX") {
		return root
	}
	return filepath.Join(root, "."+encodeMUTF7(mailbox))
}

// Deliver puts raw into the mailbox's new/ directory as one message, the
// way a local delivery agent does (written in tmp/, then renamed), owned by
// the mail user. The mailbox folder is created if missing. It is safe for
// concurrent use. raw should have CRLF line endings: Dovecot sends bare LFs
// as CRLF, so only then does a client receive the bytes delivered.
func (s *Server) Deliver(mailbox string, raw []byte) error {
	dir := s.MaildirPath(mailbox)
	if _, err := os.Stat(filepath.Join(dir, "new")); err != nil {
		if err := s.makeMaildir(dir); err != nil {
			return err
		}
	}
	now := time.Now()
	n := s.deliveries.Add(1)
	name := fmt.Sprintf("%d.M%dP%dQ%d.coordbot-test,S=%d", now.Unix(), now.Nanosecond()/1000, os.Getpid(), n, len(raw))
	tmp := filepath.Join(dir, "tmp", name)
	if err := writeOwned(tmp, raw, s.uid, s.gid); err != nil {
		return fmt.Errorf("dovecot: deliver to %s: %w", mailbox, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("dovecot: deliver to %s: %w", mailbox, err)
	}
	return nil
}

func writeOwned(path string, data []byte, uid, gid int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && os.Geteuid() == 0 {
		err = f.Chown(uid, gid)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// makeMaildir creates a Maildir folder (cur, new, tmp) owned by the mail
// user, with its parents up to the home.
func (s *Server) makeMaildir(dir string) error {
	rel, err := filepath.Rel(s.home, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("dovecot: %s is outside the home %s", dir, s.home)
	}
	p := s.home
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		p = filepath.Join(p, part)
		if err := s.mkdirOwned(p); err != nil {
			return err
		}
	}
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := s.mkdirOwned(filepath.Join(dir, sub)); err != nil {
			return err
		}
	}
	return nil
}

// mkdirOwned makes one directory (0700) owned by the mail user; an existing
// one is left alone.
func (s *Server) mkdirOwned(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil
		}
		return fmt.Errorf("dovecot: %w", err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, s.uid, s.gid); err != nil {
			return fmt.Errorf("dovecot: %w", err)
		}
	}
	return nil
}

// users are the accounts Dovecot's processes run as.
type users struct {
	login, internal  string // default_login_user, default_internal_user
	internalGroup    string // default_internal_group; "" keeps Dovecot's ("dovecot")
	internalGID      int    // the group of default_internal_user
	mailUID, mailGID int
}

// pickUsers chooses the accounts: as root, the Debian package's dovenull
// and dovecot and an unprivileged mail user; otherwise the current user for
// everything.
func pickUsers() (users, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return users{}, fmt.Errorf("dovecot: current user: %w", err)
		}
		g, err := user.LookupGroupId(strconv.Itoa(os.Getegid()))
		if err != nil {
			return users{}, fmt.Errorf("dovecot: current group: %w", err)
		}
		return users{login: u.Username, internal: u.Username, internalGroup: g.Name, internalGID: os.Getegid(),
			mailUID: os.Geteuid(), mailGID: os.Getegid()}, nil
	}
	var internalGID int
	for _, name := range []string{"dovenull", "dovecot"} {
		u, err := user.Lookup(name)
		if err != nil {
			return users{}, fmt.Errorf("dovecot: system user %q is missing (the dovecot-core package creates it): %w", name, err)
		}
		if name == "dovecot" {
			if internalGID, err = strconv.Atoi(u.Gid); err != nil {
				return users{}, fmt.Errorf("dovecot: system user %q: gid %q", name, u.Gid)
			}
		}
	}
	for _, name := range []string{"vmail", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return users{login: "dovenull", internal: "dovecot", internalGID: internalGID, mailUID: uid, mailGID: gid}, nil
	}
	return users{}, errors.New("dovecot: no unprivileged mail user: neither vmail nor nobody exists")
}

// config is dovecot.conf for this server.
func (s *Server) config(u users, port int) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Written by coordbot/internal/dovecot for a throwaway test server.")
	w("instance_name = coordbot-test-%d", port)
	w("base_dir = %s", filepath.Join(s.Dir, "run"))
	w("state_dir = %s", filepath.Join(s.Dir, "state"))
	w("log_path = %s", s.LogPath)
	w("protocols = imap")
	w("listen = 127.0.0.1")
	w("ssl = no")
	w("disable_plaintext_auth = no")
	w("auth_mechanisms = plain login")
	w("default_login_user = %s", u.login)
	w("default_internal_user = %s", u.internal)
	if u.internalGroup != "" {
		w("default_internal_group = %s", u.internalGroup)
	}
	w("first_valid_uid = %d", u.mailUID)
	w("last_valid_uid = %d", u.mailUID)
	w("first_valid_gid = %d", u.mailGID)
	w("mail_location = maildir:~/Maildir")
	w("mail_fsync = never")
	w("mail_max_userip_connections = 50")
	w("passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%%u %s\n}", filepath.Join(s.Dir, "passwd"))
	w("userdb {\n  driver = passwd-file\n  args = username_format=%%u %s\n}", filepath.Join(s.Dir, "passwd"))
	chroot := ""
	if os.Geteuid() != 0 {
		// Without root, the login processes cannot chroot.
		chroot = "\n  chroot ="
	}
	w("service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = %d\n  }\n  inet_listener imaps {\n    port = 0\n  }%s\n}", port, chroot)
	return b.String()
}

// findBinary looks for a Dovecot program in PATH and the sbin directories
// (often not in a normal user's PATH).
func findBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", ErrNotInstalled
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("dovecot: find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port, nil
}

// makeTraversable makes sure others may search every directory above dir,
// since Dovecot's mail processes do not run as the caller. Directories the
// caller owns below os.TempDir() get o+x (and g+x); any other directory
// without o+x is an error.
func makeTraversable(dir string) error {
	tmp, err := filepath.Abs(os.TempDir())
	if err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("dovecot: %w", err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			st, _ := fi.Sys().(*syscall.Stat_t)
			rel, rerr := filepath.Rel(tmp, p)
			below := rerr == nil && rel != "." && !strings.HasPrefix(rel, "..")
			if !below || st == nil || int(st.Uid) != os.Geteuid() {
				return fmt.Errorf("dovecot: %s is not searchable by others (the mail user could not reach its Maildir); use a directory below one that is", p)
			}
			if err := os.Chmod(p, fi.Mode().Perm()|0o011); err != nil {
				return fmt.Errorf("dovecot: %w", err)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// encodeMUTF7 encodes a mailbox name in IMAP's modified UTF-7 (RFC 3501
// 5.1.3), which Dovecot's Maildir++ layout uses for folder names.
func encodeMUTF7(name string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,"
	var b strings.Builder
	var run []uint16 // UTF-16 units of a non-ASCII run
	flush := func() {
		if len(run) == 0 {
			return
		}
		b.WriteByte('&')
		var bits, nbits uint32
		for _, u := range run {
			bits = bits<<16 | uint32(u)
			nbits += 16
			for nbits >= 6 {
				nbits -= 6
				b.WriteByte(alphabet[(bits>>nbits)&0x3f])
			}
		}
		if nbits > 0 {
			b.WriteByte(alphabet[(bits<<(6-nbits))&0x3f])
		}
		b.WriteByte('-')
		run = run[:0]
	}
	for _, r := range name {
		if r >= 0x20 && r <= 0x7e {
			flush()
			if r == '&' {
				b.WriteString("&-")
			} else {
				b.WriteRune(r)
			}
			continue
		}
		if r > 0xffff {
			r -= 0x10000
			run = append(run, uint16(0xd800+(r>>10)), uint16(0xdc00+(r&0x3ff)))
		} else {
			run = append(run, uint16(r))
		}
	}
	flush()
	return b.String()
}
