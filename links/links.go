// Package links signs the links coordbot puts in its e-mail: the one-click
// answers ("Přijdu / Nepřijdu / Možná") of invitations, reminders and
// nudges, and the sign-in links of the web pages.
//
// A token is base64url (no padding) of a few varint-encoded numbers and a
// truncated HMAC-SHA256 of them, under a 32-byte key the store keeps
// (store.Store.WebKey). It holds no state and no expiry: whether a token
// may still be used is decided where it is used, from the store (an answer
// until the meeting starts, a sign-in link until its login_links row
// expires, once). Tokens are short (about 30 characters) because they
// travel in URLs in e-mail, where long lines get wrapped and broken.
package links

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// ErrBadToken means a token was altered, cut short, garbled, or signed
// with another key.
var ErrBadToken = errors.New("links: bad token")

// macSize is how many bytes of the HMAC a token keeps: 128 bits, far
// beyond guessing over HTTP, and half the length of the full MAC.
const macSize = 16

// Purposes, the first byte under the MAC: a token of one kind can never
// pass as the other even when its numbers look alike.
const (
	purposeAnswer = 'a'
	purposeSignIn = 's'
)

// encoding is strict base64url without padding: a token whose last
// character was changed in its unused low bits is refused rather than
// decoding to the same bytes.
var encoding = base64.RawURLEncoding.Strict()

// Signer makes and checks signed links under one public address. It is
// safe for concurrent use.
type Signer struct {
	key  []byte
	base string
}

// New returns a signer for links under publicURL (http.public_url; a
// trailing slash is dropped). key is the secret of every token, at least
// 16 bytes (the store makes 32); a shorter one is a programming error and
// panics.
func New(key []byte, publicURL string) *Signer {
	if len(key) < 16 {
		panic("links: key shorter than 16 bytes")
	}
	return &Signer{key: append([]byte(nil), key...), base: strings.TrimRight(publicURL, "/")}
}

// Base returns the public address links are made under, without a
// trailing slash.
func (s *Signer) Base() string { return s.base }

// answerCodes are the one-byte codes of the answers in a token.
var answerCodes = map[string]byte{"yes": 'y', "no": 'n', "maybe": 'm'}

// AnswerToken returns the token of a one-click answer: member memberID
// answers answer ("yes", "no" or "maybe", as store.AnswerYes...) to
// meeting meetingID. Any other answer, or an id that is not positive, is a
// programming error and panics.
func (s *Signer) AnswerToken(memberID, meetingID int64, answer string) string {
	code, ok := answerCodes[answer]
	if !ok || memberID <= 0 || meetingID <= 0 {
		panic("links: answer token for member " + strconv.FormatInt(memberID, 10) + ", meeting " + strconv.FormatInt(meetingID, 10) + ", answer " + answer)
	}
	body := binary.AppendUvarint(nil, uint64(memberID))
	body = binary.AppendUvarint(body, uint64(meetingID))
	body = append(body, code)
	return s.seal(purposeAnswer, body)
}

// AnswerURL returns Base()+"/a/"+AnswerToken(...).
func (s *Signer) AnswerURL(memberID, meetingID int64, answer string) string {
	return s.base + "/a/" + s.AnswerToken(memberID, meetingID, answer)
}

// ParseAnswer checks a one-click answer token (the MAC in constant time)
// and returns its parts; ErrBadToken when it was altered or garbled.
func (s *Signer) ParseAnswer(token string) (memberID, meetingID int64, answer string, err error) {
	body, err := s.open(purposeAnswer, token)
	if err != nil {
		return 0, 0, "", err
	}
	memberID, body, ok1 := id(body)
	meetingID, body, ok2 := id(body)
	if !ok1 || !ok2 || len(body) != 1 {
		return 0, 0, "", ErrBadToken
	}
	for a, code := range answerCodes {
		if body[0] == code {
			return memberID, meetingID, a, nil
		}
	}
	return 0, 0, "", ErrBadToken
}

// SignInToken returns the token of a sign-in link: it names a
// login_links row and carries its MAC. A link id that is not positive is
// a programming error and panics.
func (s *Signer) SignInToken(linkID int64) string {
	if linkID <= 0 {
		panic("links: sign-in token for link " + strconv.FormatInt(linkID, 10))
	}
	return s.seal(purposeSignIn, binary.AppendUvarint(nil, uint64(linkID)))
}

// SignInURL returns Base()+"/login/"+SignInToken(linkID).
func (s *Signer) SignInURL(linkID int64) string {
	return s.base + "/login/" + s.SignInToken(linkID)
}

// ParseSignIn checks a sign-in token (the MAC in constant time) and
// returns the login link's id; ErrBadToken when it was altered or garbled.
func (s *Signer) ParseSignIn(token string) (linkID int64, err error) {
	body, err := s.open(purposeSignIn, token)
	if err != nil {
		return 0, err
	}
	linkID, rest, ok := id(body)
	if !ok || len(rest) != 0 {
		return 0, ErrBadToken
	}
	return linkID, nil
}

// seal returns base64url(body || mac), the MAC taken over the purpose
// byte and body.
func (s *Signer) seal(purpose byte, body []byte) string {
	return encoding.EncodeToString(append(body, s.mac(purpose, body)...))
}

// open decodes a token and checks its MAC, returning the body.
func (s *Signer) open(purpose byte, token string) ([]byte, error) {
	// The longest body is two 10-byte varints and an answer code.
	if len(token) > encoding.EncodedLen(21+macSize) {
		return nil, ErrBadToken
	}
	raw, err := encoding.DecodeString(token)
	if err != nil || len(raw) <= macSize {
		return nil, ErrBadToken
	}
	body, mac := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(mac, s.mac(purpose, body)) {
		return nil, ErrBadToken
	}
	return body, nil
}

// mac is the truncated HMAC-SHA256 of the purpose byte and body.
func (s *Signer) mac(purpose byte, body []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte{purpose})
	h.Write(body)
	return h.Sum(nil)[:macSize]
}

// id reads one positive varint id off the front of b.
func id(b []byte) (int64, []byte, bool) {
	v, n := binary.Uvarint(b)
	if n <= 0 || v == 0 || v > 1<<63-1 {
		return 0, b, false
	}
	return int64(v), b[n:], true
}
