package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/config"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
)

// cmdUserCreate creates an approved account and prints its activation link as the last line, so
// that the first admin can be made (and scripts can pick the link up) without any mail server.
func cmdUserCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	var in account.NewAccount
	var role string
	rest, err := parseFlags("user create",
		"user create --email E --name N [--role learner|trainer|admin] [--cohort NAME] [--lang LANG] [--data DIR] [--base-url URL]",
		args, getenv, stderr, func(fs *flag.FlagSet) {
			cfg.DataFlag(fs)
			fs.StringVar(&cfg.BaseURL, "base-url", cfg.BaseURL, "public `URL` of the platform for the activation link (default: the URL serve stored)")
			fs.StringVar(&in.Email, "email", "", "e-mail `address` (the user name)")
			fs.StringVar(&in.Name, "name", "", "full `name`")
			fs.StringVar(&role, "role", string(account.RoleLearner), "`role`: learner, trainer or admin")
			fs.StringVar(&in.Cohort, "cohort", "", "cohort `name`: a learner joins it, a trainer or admin leads it")
			fs.StringVar(&in.Lang, "lang", string(i18n.Default), "`language` of the interface and e-mails: "+i18n.List())
			fs.StringVar(&in.Organisation, "organisation", "", "`organisation` (optional)")
		})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError(stderr, "user create takes no arguments, got %q", rest)
	}
	var missing []string
	if strings.TrimSpace(in.Email) == "" {
		missing = append(missing, "--email")
	}
	if strings.TrimSpace(in.Name) == "" {
		missing = append(missing, "--name")
	}
	if len(missing) > 0 {
		return usageError(stderr, "user create needs %s", strings.Join(missing, " and "))
	}
	in.Role = account.Role(role)
	if err := cfg.Validate(); err != nil {
		return usageError(stderr, "user create: %v", err)
	}

	accounts, closeDB, err := accountsFor(ctx, &cfg, stderr, "the activation link points")
	if err != nil {
		return err
	}
	defer closeDB()
	u, link, err := accounts.CreateAccount(ctx, audit.CLI, in)
	if fields := errs.FieldsOf(err); fields != nil {
		return usageError(stderr, "user create: %s", flagMessages(fields))
	}
	if err != nil {
		return fmt.Errorf("user create: %w", err)
	}
	fmt.Fprintf(stdout, "created %s %s (id %d)", u.Role, u.Email, u.ID)
	if in.Cohort != "" {
		verb := "leads"
		if u.Role == account.RoleLearner {
			verb = "member of"
		}
		fmt.Fprintf(stdout, ", %s cohort %q", verb, in.Cohort)
	}
	fmt.Fprintf(stdout, "\nthe activation e-mail is queued (sent by the running server); the link is valid for 72 hours:\n%s\n", link)
	return nil
}

// cmdUserResetPassword prints a link that sets a new password for an account: the way back into
// a locked-out admin or a demo account when no mail arrives. It mails nothing.
func cmdUserResetPassword(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	var email string
	rest, err := parseFlags("user reset-password", "user reset-password --email E [--data DIR] [--base-url URL]",
		args, getenv, stderr, func(fs *flag.FlagSet) {
			cfg.DataFlag(fs)
			fs.StringVar(&cfg.BaseURL, "base-url", cfg.BaseURL, "public `URL` of the platform for the link (default: the URL serve stored)")
			fs.StringVar(&email, "email", "", "e-mail `address` of the account")
		})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError(stderr, "user reset-password takes no arguments, got %q", rest)
	}
	if strings.TrimSpace(email) == "" {
		return usageError(stderr, "user reset-password needs --email")
	}
	if err := cfg.Validate(); err != nil {
		return usageError(stderr, "user reset-password: %v", err)
	}
	accounts, closeDB, err := accountsFor(ctx, &cfg, stderr, "the link points")
	if err != nil {
		return err
	}
	defer closeDB()
	rl, err := accounts.IssueResetLink(ctx, audit.CLI, email)
	if err != nil {
		return fmt.Errorf("user reset-password: %w", err)
	}
	if rl.Activation {
		fmt.Fprintf(stdout, "%s has not activated the account yet; this activation link sets the password (valid for 72 hours, older links stop working):\n%s\n", rl.User.Email, rl.Link)
		return nil
	}
	fmt.Fprintf(stdout, "password reset link for %s %s (valid for 1 hour, single use; the current password works until it is used):\n%s\n", rl.User.Role, rl.User.Email, rl.Link)
	return nil
}
