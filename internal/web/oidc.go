package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"saferspaces/internal/account"
	"saferspaces/internal/config"
)

// ssoProvider is the OpenID Connect relying party: authorization code flow with PKCE (S256),
// state and nonce, both kept server-side in the (anonymous) session for ten minutes. The
// provider's metadata is discovered on first use and kept; while the provider cannot be reached,
// the platform runs on and /login says so when someone tries.
type ssoProvider struct {
	issuer, clientID, secret string
	redirect                 string // BaseURL + /login/sso/callback
	now                      func() time.Time
	client                   *http.Client

	mu         sync.Mutex
	provider   *oidc.Provider
	endSession string
	failedAt   time.Time // last failed discovery: wait a little before the next
}

// ssoCallbackPath is the redirect URI's path, registered at the provider.
const ssoCallbackPath = "/login/sso/callback"

// ssoFlowTTL is how long a started sign-in at the provider may take.
const ssoFlowTTL = 10 * time.Minute

func newSSOProvider(cfg config.Config, now func() time.Time) *ssoProvider {
	if cfg.OIDCIssuer == "" {
		return nil
	}
	return &ssoProvider{issuer: cfg.OIDCIssuer, clientID: cfg.OIDCClientID, secret: cfg.OIDCClientSecret,
		redirect: strings.TrimRight(cfg.BaseURL, "/") + ssoCallbackPath, now: now,
		client: &http.Client{Timeout: 15 * time.Second}}
}

// Name is what /login calls the provider: its host.
func (p *ssoProvider) Name() string {
	if u, err := url.Parse(p.issuer); err == nil && u.Host != "" {
		return u.Host
	}
	return p.issuer
}

func (p *ssoProvider) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.client)
}

// discover returns the provider's metadata, fetching it on first use.
func (p *ssoProvider) discover(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider != nil {
		return p.provider, nil
	}
	if !p.failedAt.IsZero() && time.Since(p.failedAt) < 10*time.Second {
		return nil, errSSOUnavailable
	}
	// Discovery outlives the request that triggers it: the keys are fetched later with this context.
	prov, err := oidc.NewProvider(p.ctx(context.WithoutCancel(ctx)), p.issuer)
	if err != nil {
		p.failedAt = time.Now()
		return nil, fmt.Errorf("%w: %v", errSSOUnavailable, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = prov.Claims(&meta)
	p.provider, p.endSession = prov, meta.EndSession
	return prov, nil
}

var errSSOUnavailable = errors.New("the identity provider cannot be reached")

func (p *ssoProvider) oauth(prov *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: p.clientID, ClientSecret: p.secret, Endpoint: prov.Endpoint(), RedirectURL: p.redirect,
		Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// ssoFlow is a started sign-in, kept in the session until the provider sends the person back.
type ssoFlow struct {
	State, Nonce, Verifier, Next string
	At                           int64
}

// start makes a flow and the provider's authorization URL for it.
func (p *ssoProvider) start(ctx context.Context, next string) (*ssoFlow, string, error) {
	prov, err := p.discover(ctx)
	if err != nil {
		return nil, "", err
	}
	f := &ssoFlow{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier(), Next: next, At: p.now().Unix()}
	return f, p.oauth(prov).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), nil
}

// errSSOFlow is any reason to refuse a callback: forged or stale state, a provider's error, a
// token that does not verify, a nonce that does not match.
type errSSOFlow struct{ reason string }

func (e *errSSOFlow) Error() string { return "single sign-on refused: " + e.reason }

func refuseFlow(format string, args ...any) error {
	return &errSSOFlow{reason: fmt.Sprintf(format, args...)}
}

// finish checks the callback against the flow and returns the verified identity.
func (p *ssoProvider) finish(ctx context.Context, f *ssoFlow, q url.Values) (account.Identity, string, error) {
	var id account.Identity
	switch {
	case f == nil || f.State == "":
		return id, "", refuseFlow("no sign-in was started in this browser")
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1:
		return id, "", refuseFlow("state does not match")
	case p.now().Sub(time.Unix(f.At, 0)) > ssoFlowTTL:
		return id, "", refuseFlow("the sign-in took too long")
	case q.Get("error") != "":
		return id, "", refuseFlow("the provider answered %s: %s", clipText(q.Get("error"), 60), clipText(q.Get("error_description"), 200))
	case q.Get("code") == "":
		return id, "", refuseFlow("no authorization code")
	}
	prov, err := p.discover(ctx)
	if err != nil {
		return id, "", err
	}
	ctx = p.ctx(ctx)
	tok, err := p.oauth(prov).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return id, "", refuseFlow("code exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return id, "", refuseFlow("no ID token")
	}
	idt, err := prov.Verifier(&oidc.Config{ClientID: p.clientID, Now: p.now}).Verify(ctx, raw)
	if err != nil {
		return id, "", refuseFlow("ID token: %v", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return id, "", refuseFlow("nonce does not match")
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		return id, "", refuseFlow("ID token claims: %v", err)
	}
	if c.Email == "" {
		// Providers that keep the ID token small (the OpenID default when an access token is
		// issued) give the address at the userinfo endpoint, for the same subject.
		ui, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return id, "", refuseFlow("userinfo: %v", err)
		}
		if ui.Subject != idt.Subject {
			return id, "", refuseFlow("userinfo is about another subject")
		}
		if err := ui.Claims(&c); err != nil {
			return id, "", refuseFlow("userinfo claims: %v", err)
		}
	}
	id = account.Identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: c.Email,
		EmailVerified: bool(c.EmailVerified) || bool(c.XMSEdov), Name: c.name()}
	return id, raw, nil
}

// idClaims are the claims the platform reads. email_verified is the standard claim (Keycloak and
// most providers); Entra ID does not send it, but its optional claim xms_edov says the domain
// owner verified the address (docs/integration.md).
type idClaims struct {
	Email         string   `json:"email"`
	EmailVerified flexBool `json:"email_verified"`
	XMSEdov       flexBool `json:"xms_edov"`
	Name          string   `json:"name"`
	GivenName     string   `json:"given_name"`
	FamilyName    string   `json:"family_name"`
}

func (c idClaims) name() string {
	if n := strings.TrimSpace(c.Name); n != "" {
		return n
	}
	return strings.TrimSpace(c.GivenName + " " + c.FamilyName)
}

// flexBool reads true, "true" and 1 as true (providers differ).
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch strings.Trim(string(data), `"`) {
	case "true", "1", "True":
		*b = true
	default:
		*b = false
	}
	return nil
}

// endSessionURL is the provider's sign-out page, or "" if it has none.
func (p *ssoProvider) endSessionURL(postLogout string) string {
	p.mu.Lock()
	end := p.endSession
	p.mu.Unlock()
	if end == "" {
		return ""
	}
	u, err := url.Parse(end)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", p.clientID)
	q.Set("post_logout_redirect_uri", postLogout)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func clipText(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}
