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
			fs.StringVar(&cfg.BaseURL, "base-url", cfg.BaseURL, "public `URL` of the platform for the activation link (default http://ADDR of serve's default)")
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
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + cfg.Addr
		fmt.Fprintf(stderr, "saferspaces: no --base-url given; the activation link points to %s\n", cfg.BaseURL)
	}
	if err := cfg.Validate(); err != nil {
		return usageError(stderr, "user create: %v", err)
	}

	accounts, closeDB, err := accountsFor(ctx, cfg, newLogger(stderr))
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
