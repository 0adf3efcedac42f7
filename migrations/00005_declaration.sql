-- +goose Up
-- Version 1 of the usage-rights declaration (Nutzungsrechteerklärung). Operators publish their own
-- wording as a new version under /admin/declarations; every user then accepts it again. The texts
-- are plain text: paragraphs separated by blank lines, the first line of a paragraph may be its
-- heading.
-- +goose StatementBegin
INSERT INTO declarations (version, text_de, text_en, published_at, published_by) VALUES (1,
'Nutzungsrechteerklärung für die Schulungsplattform saferspaces (Fassung 1)

1. Wer die Plattform nutzen darf
Die Plattform steht Beschäftigten von Behörden und öffentlichen Stellen offen, die mit dem Schutz öffentlicher Räume befasst sind (zum Beispiel Ordnungsämter, Stadtplanung, Polizei, kommunale Präventionsräte), sowie deren Partnern, etwa Veranstalterinnen und Veranstaltern öffentlicher Veranstaltungen. Ein Zugang wird erst nach Prüfung Ihrer Angaben und Freigabe durch die Administration eingerichtet.

2. Zweck der Nutzung
Sie nutzen die Plattform und ihre Inhalte ausschließlich zur Schulung und für Ihre dienstliche Tätigkeit bei einer Behörde oder im Auftrag einer Behörde.

3. Umgang mit den Materialien
Schulungsinhalte, insbesondere Szenarien, Fallbeispiele, Checklisten und Analysen, sind vertraulich zu behandeln. Eine Weitergabe, Veröffentlichung oder Vervielfältigung außerhalb Ihrer Behörde oder Organisation ist nur mit vorheriger Zustimmung der Plattformbetreiber zulässig.

4. Persönliche Zugangsdaten
Ihr Zugang ist persönlich. Sie geben Ihr Passwort nicht weiter und informieren die Administration unverzüglich, wenn Sie einen Missbrauch vermuten.

5. Datenschutz
Wir verarbeiten Ihren Namen, Ihre E-Mail-Adresse, Organisation und Funktion, die Annahme dieser Erklärung (Fassung, Zeitpunkt, IP-Adresse und Browserkennung) sowie Ihren Lernfortschritt (abgeschlossene Lektionen, Ergebnisse der Selbsttests, Zertifikate). Zweck ist die Durchführung der Schulung, die Zugangskontrolle und der Nachweis Ihrer Qualifizierung; die Leitung Ihrer Kohorte sieht Ihren Lernfortschritt. Rechtsgrundlage ist Art. 6 Abs. 1 lit. e DSGVO (Aufgabe im öffentlichen Interesse); soweit Sie nicht für eine Behörde teilnehmen, Ihre Einwilligung nach Art. 6 Abs. 1 lit. a DSGVO, die Sie jederzeit für die Zukunft widerrufen können.

6. Speicherdauer
Kontodaten speichern wir, solange Ihr Zugang besteht; sie werden spätestens 12 Monate nach Ihrer letzten Anmeldung oder auf Ihren Wunsch gelöscht oder anonymisiert. Nachweise über die Annahme dieser Erklärung bewahren wir 3 Jahre auf, Protokolle sicherheitsrelevanter Ereignisse 12 Monate.

7. Ihre Rechte
Sie haben das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung der Verarbeitung und Datenübertragbarkeit sowie das Recht, sich bei einer Datenschutz-Aufsichtsbehörde zu beschweren. Eine Kopie Ihrer Daten können Sie jederzeit unter „Mein Konto“ herunterladen.

8. Entzug des Zugangs
Der Zugang kann jederzeit gesperrt oder entzogen werden, insbesondere bei einem Verstoß gegen diese Erklärung oder wenn die Voraussetzungen der Nutzung entfallen. Ändert sich diese Erklärung, stimmen Sie der neuen Fassung vor der weiteren Nutzung zu.',
'Usage-rights declaration for the saferspaces training platform (version 1)

1. Who may use the platform
The platform is open to staff of public authorities and public bodies who work on the protection of public spaces (for example public order offices, urban planning, police, local crime prevention councils) and to their partners, such as organisers of public events. Access is set up only after the administrators have checked your details and approved your registration.

2. Purpose of use
You use the platform and its content only for training and for your work at, or on behalf of, a public authority.

3. Handling of the materials
Training content, in particular scenarios, case studies, checklists and analyses, is confidential. Passing it on, publishing or copying it outside your authority or organisation requires the prior permission of the platform operators.

4. Personal credentials
Your access is personal. You do not share your password, and you inform the administrators at once if you suspect misuse.

5. Data protection
We process your name, e-mail address, organisation and position, your acceptance of this declaration (version, time, IP address and browser identification) and your learning progress (completed lessons, self-check results, certificates). The purpose is to run the training, to control access and to document your qualification; the leaders of your cohort see your learning progress. The legal basis is Art. 6(1)(e) GDPR (a task carried out in the public interest); where you do not take part on behalf of a public authority, your consent under Art. 6(1)(a) GDPR, which you may withdraw at any time with effect for the future.

6. Retention
We keep account data for as long as your access exists; it is deleted or anonymised at the latest 12 months after your last sign-in, or earlier at your request. Records of your acceptance of this declaration are kept for 3 years as proof, logs of security-relevant events for 12 months.

7. Your rights
You have the right of access, rectification, erasure, restriction of processing and data portability, and the right to lodge a complaint with a data protection supervisory authority. You can download a copy of your data at any time under "My account".

8. Withdrawal of access
Access may be suspended or withdrawn at any time, in particular if this declaration is breached or the conditions for use no longer apply. If this declaration changes, you accept the new version before you continue to use the platform.',
CAST(strftime('%s', 'now') AS INTEGER), NULL);
-- +goose StatementEnd
