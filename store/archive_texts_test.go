package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"coordbot/store"
)

// TestArchiveTexts returns the body, then each attachment's extracted
// text in order, and ErrNotFound for an unknown message.
func TestArchiveTexts(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpenStore(t)
	m := &store.ArchiveMessage{MessageID: "texty@obec.cz", ContentHash: "hash-texty", FromAddr: "jana@obec.cz",
		Subject: "Zápis", BodyText: "Zápis v příloze.", Raw: []byte("Subject: Zápis\r\n\r\nZápis v příloze."),
		State: store.ArchiveArchived, Source: "test", Attachments: []*store.Attachment{
			{Filename: "zápis.docx", MediaType: "application/octet-stream", Content: []byte("PK"), Text: "Program jednání:\n1. Rozpočet"},
			{Filename: "foto.jpg", MediaType: "image/jpeg", Content: []byte{0xff, 0xd8}},
		}}
	if _, err := s.AddArchiveMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, err := s.ArchiveTexts(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Zápis v příloze.", "Program jednání:\n1. Rozpočet", ""}; !slices.Equal(got, want) {
		t.Errorf("texts %q, want %q", got, want)
	}
	if _, err := s.ArchiveTexts(ctx, m.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown message: %v, want ErrNotFound", err)
	}
}
