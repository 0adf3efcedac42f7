package xapi

// UUID5 lets the external tests check uuid5 against the RFC 4122 example.
func UUID5(namespace, name string) (string, error) {
	ns, err := parseUUID(namespace)
	if err != nil {
		return "", err
	}
	return uuid5(ns, name), nil
}
