package bot

import (
	"bytes"
	"compress/zlib"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestReadFrame reads text frames, a zlib-compressed binary frame, a frame
// larger than the scratch buffer kept, and a close frame from a real
// websocket connection, each into the same scratch buffer.
func TestReadFrame(t *testing.T) {
	big := `{"op":0,"d":"` + strings.Repeat("x", maxScratch+10) + `"}`
	var compressed bytes.Buffer
	zw := zlib.NewWriter(&compressed)
	zw.Write([]byte(`{"op":11}`))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		ws.WriteMessage(websocket.TextMessage, []byte(`{"op":10,"d":{"heartbeat_interval":41250}}`))
		ws.WriteMessage(websocket.BinaryMessage, compressed.Bytes())
		ws.WriteMessage(websocket.TextMessage, []byte(big))
		ws.WriteMessage(websocket.TextMessage, []byte(`{"op":1}`))
		ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."))
		ws.ReadMessage() // until the client closes
	}))
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var scratch bytes.Buffer
	var frames [][]byte
	for _, want := range []string{`{"op":10,"d":{"heartbeat_interval":41250}}`, `{"op":11}`, big, `{"op":1}`} {
		data, err := readFrame(ws, &scratch)
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != want {
			t.Fatalf("frame %d = %.60q…, want %.60q…", len(frames), data, want)
		}
		frames = append(frames, data)
		if len(data) == len(big) && scratch.Cap() > maxScratch {
			t.Errorf("a %d-byte scratch buffer was kept", scratch.Cap())
		}
	}
	// Each frame is a copy of its own: reading on did not change those
	// read before.
	if string(frames[0]) != `{"op":10,"d":{"heartbeat_interval":41250}}` || string(frames[1]) != `{"op":11}` {
		t.Errorf("earlier frames changed: %.60q, %.60q", frames[0], frames[1])
	}
	_, err = readFrame(ws, &scratch)
	var ce *gatewayCloseError
	if !errors.As(err, &ce) || ce.code != 4004 {
		t.Fatalf("close frame read as %v, want close code 4004", err)
	}
}
