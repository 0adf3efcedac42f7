package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"saferspaces/internal/xapi"
)

// LRSClient speaks the Statement API of a learning record store (xAPI 1.0.3, part 3, 2.1): it
// delivers the stored statements for package xapi's queue. It lives in web because HTTP does.
//
// A batch goes as one POST {endpoint}/statements with a JSON array. 200 means the LRS stored all
// of them. When the LRS refuses the batch — 409 because it has one of the statements already
// (a batch whose answer got lost on the way, or an older export imported by hand), or 400 because
// one is invalid — each statement goes once more with its own PUT
// {endpoint}/statements?statementId=ID: 204 is stored, 409 is "have it already" (ids are made only
// by this platform and a statement never changes, so it is the same record), anything the LRS
// refuses for good is reported with its answer. Network errors, 401/403 (credentials), 408, 429
// and 5xx leave everything waiting.
type LRSClient struct {
	endpoint string // without a trailing slash
	user     string
	password string
	client   *http.Client
}

// NewLRSClient makes a client for the LRS at endpoint (e.g. https://lrs.example.org/xapi), with
// Basic auth when user is not empty.
func NewLRSClient(endpoint, user, password string) *LRSClient {
	return &LRSClient{endpoint: strings.TrimRight(endpoint, "/"), user: user, password: password,
		client: &http.Client{Timeout: 30 * time.Second}}
}

var _ xapi.Transport = (*LRSClient)(nil)

// Send delivers a batch (xapi.Transport).
func (c *LRSClient) Send(ctx context.Context, batch []xapi.Outgoing) ([]xapi.Outcome, error) {
	var body bytes.Buffer
	body.WriteByte('[')
	for i, o := range batch {
		if i > 0 {
			body.WriteByte(',')
		}
		body.WriteString(o.Body)
	}
	body.WriteByte(']')
	status, answer, err := c.do(ctx, http.MethodPost, c.endpoint+"/statements", body.Bytes())
	if err != nil {
		return nil, err
	}
	switch {
	case status == http.StatusOK:
		out := make([]xapi.Outcome, len(batch))
		for i := range out {
			out[i] = xapi.Outcome{Verdict: xapi.Delivered, Answer: answer}
		}
		return out, nil
	case transient(status):
		return nil, fmt.Errorf("LRS answered %s", answer)
	}
	// The batch as a whole was refused: find out statement by statement.
	out := make([]xapi.Outcome, len(batch))
	for i, o := range batch {
		out[i] = c.put(ctx, o)
		if out[i].Verdict == xapi.Retry {
			for j := i + 1; j < len(batch); j++ {
				out[j] = xapi.Outcome{Verdict: xapi.Retry, Answer: out[i].Answer}
			}
			break
		}
	}
	return out, nil
}

// put sends one statement under its id.
func (c *LRSClient) put(ctx context.Context, o xapi.Outgoing) xapi.Outcome {
	status, answer, err := c.do(ctx, http.MethodPut, c.endpoint+"/statements?statementId="+url.QueryEscape(o.ID), []byte(o.Body))
	switch {
	case err != nil:
		return xapi.Outcome{Verdict: xapi.Retry, Answer: err.Error()}
	case status == http.StatusNoContent:
		return xapi.Outcome{Verdict: xapi.Delivered, Answer: answer}
	case status == http.StatusConflict:
		return xapi.Outcome{Verdict: xapi.Delivered, Answer: answer + " (the LRS has this statement already)"}
	case transient(status):
		return xapi.Outcome{Verdict: xapi.Retry, Answer: answer}
	}
	return xapi.Outcome{Verdict: xapi.Refused, Answer: answer}
}

// transient answers say nothing about the statements: try again later.
func transient(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestTimeout, http.StatusTooManyRequests:
		return true
	}
	return status >= 500
}

// do sends one request and returns the status and a short answer ("409 Conflict: …").
func (c *LRSClient) do(ctx context.Context, method, target string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	if c.user != "" {
		req.SetBasicAuth(c.user, c.password)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		// The error names the URL, never the credentials (they travel in a header).
		return 0, "", fmt.Errorf("LRS not reachable: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	answer := resp.Status
	if m := strings.Join(strings.Fields(string(msg)), " "); m != "" {
		answer += ": " + m
	}
	return resp.StatusCode, answer, nil
}
