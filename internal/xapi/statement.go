// Package xapi keeps the platform's learning records as xAPI 1.0.3 statements. A statement is
// made and stored once, in the transaction of the learning event it records (package learning
// hands the events over through its Recorder interface), and never changed afterwards: the actor
// is an opaque account on the platform's canonical URL, the activity ids start with that URL as
// fixed at first start, and names, language and time are those of the moment of the event. So the
// same statement id always carries the same content, whatever happens later (a language change, an
// erasure, another --base-url), as a learning record store requires. An erasure adds voiding
// statements. The stored statements are the export (JSON lines) and, with a send state, the
// persistent queue towards an LRS (queue.go).
package xapi

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
)

// Verbs (ADL vocabulary).
const (
	VerbCompleted  = "http://adlnet.gov/expapi/verbs/completed"
	VerbPassed     = "http://adlnet.gov/expapi/verbs/passed"
	VerbFailed     = "http://adlnet.gov/expapi/verbs/failed"
	VerbProgressed = "http://adlnet.gov/expapi/verbs/progressed"
	VerbVoided     = "http://adlnet.gov/expapi/verbs/voided"
)

// Activity types (ADL vocabulary).
const (
	TypeLesson     = "http://adlnet.gov/expapi/activities/lesson"
	TypeAssessment = "http://adlnet.gov/expapi/activities/assessment"
	TypeModule     = "http://adlnet.gov/expapi/activities/module"
	TypeCourse     = "http://adlnet.gov/expapi/activities/course" // the whole programme
)

// ExtProgress is cmi5's result extension for progress in percent (0–100); xAPI itself has no
// progress field, and LRS dashboards that know cmi5 show this one.
const ExtProgress = "https://w3id.org/xapi/cmi5/result/extensions/progress"

// Platform is context.platform of every statement.
const Platform = "saferspaces"

// Statement is one xAPI statement, with only the properties the platform fills.
type Statement struct {
	ID        string   `json:"id"`
	Actor     Actor    `json:"actor"`
	Verb      Verb     `json:"verb"`
	Object    Activity `json:"object"`
	Result    *Result  `json:"result,omitempty"`
	Context   *Context `json:"context,omitempty"`
	Timestamp string   `json:"timestamp"` // RFC 3339, UTC
	Version   string   `json:"version"`
}

// Actor is the learner, as an account on the platform: the platform's canonical URL and an opaque
// id that is the same in every statement about them and says nothing about who they are. (Exports
// before stored statements named learners by e-mail; Mbox remains for reading those.)
type Actor struct {
	ObjectType string   `json:"objectType"`
	Name       string   `json:"name,omitempty"`
	Mbox       string   `json:"mbox,omitempty"`
	Account    *Account `json:"account,omitempty"`
}

// Account identifies an actor without personal data.
type Account struct {
	HomePage string `json:"homePage"`
	Name     string `json:"name"`
}

// Verb is what the learner did.
type Verb struct {
	ID      string            `json:"id"`
	Display map[string]string `json:"display"`
}

// Activity is a lesson, a module, a module's self-check or the programme; in a voiding statement
// it is the StatementRef of the statement voided.
type Activity struct {
	ObjectType string      `json:"objectType"`
	ID         string      `json:"id"`
	Definition *Definition `json:"definition,omitempty"`
}

// Definition names an activity in both content languages.
type Definition struct {
	Name map[string]string `json:"name"`
	Type string            `json:"type"`
}

// Result is the outcome of the activity.
type Result struct {
	Score      *Score         `json:"score,omitempty"`
	Success    *bool          `json:"success,omitempty"`
	Completion *bool          `json:"completion,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// Score is a self-check score in percent.
type Score struct {
	Scaled float64 `json:"scaled"`
	Raw    int     `json:"raw"`
	Min    int     `json:"min"`
	Max    int     `json:"max"`
}

// Context ties a statement to the platform and, for lessons and self-checks, to their module.
type Context struct {
	Platform          string             `json:"platform"`
	Language          string             `json:"language,omitempty"`
	ContextActivities *ContextActivities `json:"contextActivities,omitempty"`
}

// ContextActivities holds the parent (the module of a lesson or self-check, the programme of a
// module) and the programme as grouping.
type ContextActivities struct {
	Parent   []Activity `json:"parent,omitempty"`
	Grouping []Activity `json:"grouping,omitempty"`
}

// uuid5 is the name-based UUID (version 5, SHA-1) of name in namespace, as RFC 4122 §4.3 defines it.
func uuid5(ns [16]byte, name string) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return formatUUID(u)
}

func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 || len(s) != 36 {
		return u, errors.New("not a UUID: " + s)
	}
	copy(u[:], b)
	return u, nil
}

func formatUUID(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
