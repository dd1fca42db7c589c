// Package scheduler will deliver each meeting's messages (calls for agenda
// items, reminders, nudges) once and on time from the store's outbox.
//
// It is not built yet; see the open issue "Scheduler". The outbox it will
// drain already exists: store.Notification and the Claim/Mark methods.
package scheduler
