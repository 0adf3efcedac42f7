-- +goose Up
-- Version 2 of the usage-rights declaration: the text reconciled with what the platform does since
-- the retention rules exist (anonymisation after 12 months without sign-in with a warning 30 days
-- before, certificates verifiable without a name, applicants deleted after 30/90 days, the last
-- accepted version kept while the access exists, sent mail kept 90 days), the data it keeps for
-- security (audit log, remembered browsers), the right to object (Art. 21 GDPR) and the operator
-- named in the imprint. It is published only over the shipped version 1: an operator who has
-- published their own wording keeps it (and reviews it against the privacy notice).
INSERT INTO declarations (version, published_at, published_by)
SELECT 2, CAST(strftime('%s', 'now') AS INTEGER), NULL
WHERE (SELECT max(version) FROM declarations) = 1;

-- +goose StatementBegin
INSERT INTO declaration_texts (version, lang, text)
SELECT 2, 'de', 'Nutzungsrechteerklärung für die Schulungsplattform saferspaces (Fassung 2)

1. Wer die Plattform nutzen darf
Die Plattform steht Beschäftigten von Behörden und öffentlichen Stellen offen, die mit dem Schutz öffentlicher Räume befasst sind (zum Beispiel Ordnungsämter, Stadtplanung, Polizei, kommunale Präventionsräte), sowie deren Partnern, etwa Veranstalterinnen und Veranstaltern öffentlicher Veranstaltungen. Ein Zugang wird erst nach Prüfung Ihrer Angaben und Freischaltung durch die Administration des Betreibers eingerichtet. Wer die Plattform betreibt, steht im Impressum; die Kontaktadresse steht am Fuß jeder Seite.

2. Zweck der Nutzung
Sie nutzen die Plattform und ihre Inhalte ausschließlich zur Schulung und für Ihre dienstliche Tätigkeit bei einer Behörde oder im Auftrag einer Behörde.

3. Umgang mit den Materialien
Schulungsinhalte, insbesondere Szenarien, Fallbeispiele, Checklisten und Analysen, sind vertraulich zu behandeln. Eine Weitergabe, Veröffentlichung oder Vervielfältigung außerhalb Ihrer Behörde oder Organisation ist nur mit vorheriger Zustimmung des Betreibers zulässig.

4. Persönliche Zugangsdaten
Ihr Zugang ist persönlich. Sie geben Ihr Passwort nicht weiter und informieren den Betreiber unverzüglich über die Kontaktadresse, wenn Sie einen Missbrauch vermuten.

5. Datenschutz
Wir verarbeiten Ihren Namen, Ihre E-Mail-Adresse, Organisation und Funktion, die Annahme dieser Erklärung (Fassung, Zeitpunkt, IP-Adresse und Browserkennung), Ihren Lernfortschritt (abgeschlossene Lektionen, Ergebnisse der Selbsttests, Zertifikate), die E-Mails, die wir Ihnen senden, sowie zu Ihrer Sicherheit ein Protokoll von Anmeldungen und Verwaltungsvorgängen (mit IP-Adresse) und die Browser, mit denen Sie sich erfolgreich angemeldet haben. Zweck ist die Durchführung der Schulung, die Zugangskontrolle, der Schutz vor Missbrauch und der Nachweis Ihrer Qualifizierung; die Leitung Ihrer Kohorte sieht Ihren Lernfortschritt. Rechtsgrundlage ist Art. 6 Abs. 1 lit. e DSGVO (Aufgabe im öffentlichen Interesse); soweit Sie nicht für eine Behörde teilnehmen, Ihre Einwilligung nach Art. 6 Abs. 1 lit. a DSGVO, die Sie jederzeit für die Zukunft widerrufen können. Einzelheiten nennt die Datenschutzerklärung der Plattform.

6. Speicherdauer
Kontodaten speichern wir, solange Ihr Zugang besteht. Melden Sie sich 12 Monate lang nicht an, wird Ihr Konto anonymisiert; 30 Tage vorher erhalten Sie eine E-Mail und können es durch eine Anmeldung erhalten. Nach der Anonymisierung bleibt Ihr Lernfortschritt nur als anonyme Statistik erhalten; Ihre Zertifikate bleiben über ihren Prüfcode überprüfbar, nennen aber keinen Namen mehr. Auf Ihren Wunsch löschen wir früher. Einen abgelehnten Antrag löschen wir 30 Tage nach der Entscheidung, einen nicht entschiedenen nach 90 Tagen. Nachweise über die Annahme dieser Erklärung bewahren wir 3 Jahre auf, die zuletzt angenommene Fassung jedoch, solange Ihr Zugang besteht; Protokolle sicherheitsrelevanter Ereignisse 12 Monate; versandte E-Mails 90 Tage. Die Löschung läuft täglich automatisch.

7. Ihre Rechte
Sie haben das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung der Verarbeitung und Datenübertragbarkeit, das Recht, der Verarbeitung aus Gründen Ihrer besonderen Situation zu widersprechen (Art. 21 DSGVO), sowie das Recht, sich bei einer Datenschutz-Aufsichtsbehörde zu beschweren. Eine Kopie Ihrer Daten können Sie jederzeit unter „Mein Konto“ herunterladen.

8. Entzug des Zugangs
Der Zugang kann jederzeit gesperrt oder entzogen werden, insbesondere bei einem Verstoß gegen diese Erklärung oder wenn die Voraussetzungen der Nutzung entfallen. Ändert sich diese Erklärung, stimmen Sie der neuen Fassung vor der weiteren Nutzung zu.'
WHERE EXISTS (SELECT 1 FROM declarations WHERE version = 2 AND published_by IS NULL)
  AND NOT EXISTS (SELECT 1 FROM declaration_texts WHERE version = 2 AND lang = 'de');
-- +goose StatementEnd

-- +goose StatementBegin
INSERT INTO declaration_texts (version, lang, text)
SELECT 2, 'en', 'Usage-rights declaration for the saferspaces training platform (version 2)

1. Who may use the platform
The platform is open to staff of public authorities and public bodies who work on the protection of public spaces (for example public order offices, urban planning, police, local crime prevention councils) and to their partners, such as organisers of public events. Access is set up only after the operator''s administrators have checked your details and approved your registration. The imprint names who runs the platform; the contact address is at the foot of every page.

2. Purpose of use
You use the platform and its content only for training and for your work at, or on behalf of, a public authority.

3. Handling of the materials
Training content, in particular scenarios, case studies, checklists and analyses, is confidential. Passing it on, publishing or copying it outside your authority or organisation requires the prior permission of the operator.

4. Personal credentials
Your access is personal. You do not share your password, and you inform the operator at once through the contact address if you suspect misuse.

5. Data protection
We process your name, e-mail address, organisation and position, your acceptance of this declaration (version, time, IP address and browser identification), your learning progress (completed lessons, self-check results, certificates), the e-mails we send you, and, for your security, a log of sign-ins and administrative actions (with IP address) and the browsers you have signed in with successfully. The purpose is to run the training, to control access, to protect against misuse and to document your qualification; the leaders of your cohort see your learning progress. The legal basis is Art. 6(1)(e) GDPR (a task carried out in the public interest); where you do not take part on behalf of a public authority, your consent under Art. 6(1)(a) GDPR, which you may withdraw at any time with effect for the future. The platform''s privacy notice gives the details.

6. Retention
We keep account data for as long as your access exists. If you do not sign in for 12 months, your account is anonymised; you receive an e-mail 30 days before and can keep the account by signing in. After anonymisation your learning progress is kept only as anonymous statistics; your certificates can still be verified with their code but no longer show a name. At your request we delete earlier. A rejected application is deleted 30 days after the decision, an undecided one after 90 days. Records of your acceptance of this declaration are kept for 3 years, the version you accepted last for as long as your access exists; logs of security-relevant events for 12 months; sent e-mails for 90 days. Deletion runs automatically every day.

7. Your rights
You have the right of access, rectification, erasure, restriction of processing and data portability, the right to object to the processing on grounds relating to your particular situation (Art. 21 GDPR), and the right to lodge a complaint with a data protection supervisory authority. You can download a copy of your data at any time under "My account".

8. Withdrawal of access
Access may be suspended or withdrawn at any time, in particular if this declaration is breached or the conditions for use no longer apply. If this declaration changes, you accept the new version before you continue to use the platform.'
WHERE EXISTS (SELECT 1 FROM declarations WHERE version = 2 AND published_by IS NULL)
  AND NOT EXISTS (SELECT 1 FROM declaration_texts WHERE version = 2 AND lang = 'en');
-- +goose StatementEnd

-- +goose StatementBegin
INSERT INTO declaration_texts (version, lang, text)
SELECT 2, 'fr', 'Déclaration relative aux droits d''utilisation de la plateforme de formation saferspaces (version 2)

1. Qui peut utiliser la plateforme
La plateforme est ouverte au personnel des administrations et organismes publics qui s''occupent de la protection des espaces publics (par exemple services de l''ordre public, urbanisme, police, conseils locaux de prévention), ainsi qu''à leurs partenaires, comme les organisatrices et organisateurs de manifestations publiques. Un accès n''est ouvert qu''après examen de vos informations et validation par les administrateurs de l''exploitant. Les mentions légales indiquent qui exploite la plateforme ; l''adresse de contact figure en bas de chaque page.

2. Finalité de l''utilisation
Vous utilisez la plateforme et ses contenus exclusivement pour la formation et pour votre activité professionnelle au sein d''une administration ou pour le compte de celle-ci.

3. Traitement des supports
Les contenus de formation, en particulier les scénarios, études de cas, listes de contrôle et analyses, sont confidentiels. Leur transmission, publication ou reproduction en dehors de votre administration ou organisation requiert l''accord préalable de l''exploitant.

4. Identifiants personnels
Votre accès est personnel. Vous ne communiquez pas votre mot de passe et vous informez immédiatement l''exploitant, à l''adresse de contact, si vous soupçonnez un abus.

5. Protection des données
Nous traitons vos nom, adresse électronique, organisation et fonction, votre acceptation de la présente déclaration (version, date, adresse IP et identification du navigateur), votre progression (leçons terminées, résultats des auto-évaluations, attestations), les courriels que nous vous envoyons ainsi que, pour votre sécurité, un journal des connexions et des opérations d''administration (avec adresse IP) et les navigateurs depuis lesquels vous avez ouvert une session avec succès. Ces traitements servent à organiser la formation, à contrôler l''accès, à prévenir les abus et à attester votre qualification ; les responsables de votre cohorte voient votre progression. La base juridique est l''article 6, paragraphe 1, point e) du RGPD (mission d''intérêt public) ; si vous ne participez pas pour le compte d''une autorité publique, votre consentement selon l''article 6, paragraphe 1, point a) du RGPD, que vous pouvez retirer à tout moment pour l''avenir. La politique de confidentialité de la plateforme donne les détails.

6. Durée de conservation
Nous conservons les données du compte tant que votre accès existe. Si vous ne vous connectez pas pendant 12 mois, votre compte est anonymisé ; vous recevez un courriel 30 jours avant et pouvez conserver le compte en vous connectant. Après l''anonymisation, votre progression n''est conservée que sous forme de statistiques anonymes ; vos attestations restent vérifiables grâce à leur code, mais ne portent plus de nom. À votre demande, nous supprimons les données plus tôt. Une inscription refusée est supprimée 30 jours après la décision, une inscription non traitée après 90 jours. La preuve de votre acceptation de la présente déclaration est conservée 3 ans, la dernière version acceptée tant que votre accès existe ; les journaux des événements de sécurité 12 mois ; les courriels envoyés 90 jours. La suppression s''effectue automatiquement chaque jour.

7. Vos droits
Vous disposez d''un droit d''accès, de rectification, d''effacement, de limitation du traitement et de portabilité, du droit de vous opposer au traitement pour des raisons tenant à votre situation particulière (article 21 du RGPD), ainsi que du droit d''introduire une réclamation auprès d''une autorité de contrôle. Vous pouvez télécharger à tout moment une copie de vos données sous « Mon compte ».

8. Retrait de l''accès
L''accès peut être suspendu ou retiré à tout moment, notamment en cas de violation de la présente déclaration ou si les conditions d''utilisation ne sont plus remplies. Si la présente déclaration est modifiée, vous acceptez la nouvelle version avant de continuer à utiliser la plateforme.'
WHERE EXISTS (SELECT 1 FROM declarations WHERE version = 2 AND published_by IS NULL)
  AND NOT EXISTS (SELECT 1 FROM declaration_texts WHERE version = 2 AND lang = 'fr');
-- +goose StatementEnd

-- +goose StatementBegin
INSERT INTO declaration_texts (version, lang, text)
SELECT 2, 'it', 'Dichiarazione sui diritti di utilizzo della piattaforma di formazione saferspaces (versione 2)

1. Chi può usare la piattaforma
La piattaforma è aperta al personale di autorità ed enti pubblici che si occupano della protezione degli spazi pubblici (ad esempio uffici per l''ordine pubblico, pianificazione urbana, polizia, consigli locali di prevenzione) e ai loro partner, come le organizzatrici e gli organizzatori di eventi pubblici. Un accesso viene predisposto solo dopo la verifica dei Suoi dati e l''approvazione da parte degli amministratori del gestore. Le note legali indicano chi gestisce la piattaforma; l''indirizzo di contatto si trova in fondo a ogni pagina.

2. Finalità dell''uso
Lei usa la piattaforma e i suoi contenuti esclusivamente per la formazione e per la Sua attività di servizio presso un''autorità o per conto di essa.

3. Trattamento dei materiali
I contenuti formativi, in particolare scenari, casi di studio, liste di controllo e analisi, sono riservati. La loro trasmissione, pubblicazione o riproduzione al di fuori della Sua autorità o organizzazione richiede il previo consenso del gestore.

4. Credenziali personali
Il Suo accesso è personale. Non comunica la Sua password a terzi e informa immediatamente il gestore tramite l''indirizzo di contatto se sospetta un abuso.

5. Protezione dei dati
Trattiamo il Suo nome, indirizzo e-mail, organizzazione e funzione, l''accettazione della presente dichiarazione (versione, data, indirizzo IP e identificativo del browser), il Suo avanzamento (lezioni completate, risultati delle autovalutazioni, attestati), le e-mail che Le inviamo e, per la Sua sicurezza, un registro degli accessi e delle operazioni amministrative (con indirizzo IP) e dei browser con cui ha effettuato con successo l''accesso. Le finalità sono lo svolgimento della formazione, il controllo degli accessi, la protezione dagli abusi e la documentazione della Sua qualificazione; i responsabili della Sua coorte vedono il Suo avanzamento. La base giuridica è l''articolo 6, paragrafo 1, lettera e) del RGPD (compito di interesse pubblico); se non partecipa per conto di un''autorità pubblica, il Suo consenso ai sensi dell''articolo 6, paragrafo 1, lettera a) del RGPD, revocabile in qualsiasi momento con effetto per il futuro. L''informativa sulla privacy della piattaforma fornisce i dettagli.

6. Periodo di conservazione
Conserviamo i dati dell''account finché esiste il Suo accesso. Se non accede per 12 mesi, il Suo account viene anonimizzato; 30 giorni prima riceve un''e-mail e può conservare l''account accedendo. Dopo l''anonimizzazione il Suo avanzamento è conservato solo come statistica anonima; i Suoi attestati restano verificabili tramite il codice, ma non riportano più alcun nome. Su Sua richiesta cancelliamo prima. Una registrazione rifiutata viene cancellata 30 giorni dopo la decisione, una non decisa dopo 90 giorni. La prova dell''accettazione della presente dichiarazione è conservata 3 anni, l''ultima versione accettata finché esiste il Suo accesso; i registri degli eventi rilevanti per la sicurezza 12 mesi; le e-mail inviate 90 giorni. La cancellazione avviene automaticamente ogni giorno.

7. I Suoi diritti
Ha diritto di accesso, rettifica, cancellazione, limitazione del trattamento e portabilità dei dati, il diritto di opporsi al trattamento per motivi connessi alla Sua situazione particolare (articolo 21 del RGPD) e il diritto di proporre reclamo a un''autorità di controllo per la protezione dei dati. Può scaricare in qualsiasi momento una copia dei Suoi dati in «Il mio account».

8. Revoca dell''accesso
L''accesso può essere sospeso o revocato in qualsiasi momento, in particolare in caso di violazione della presente dichiarazione o se vengono meno i presupposti per l''uso. Se la presente dichiarazione cambia, Lei accetta la nuova versione prima di continuare a usare la piattaforma.'
WHERE EXISTS (SELECT 1 FROM declarations WHERE version = 2 AND published_by IS NULL)
  AND NOT EXISTS (SELECT 1 FROM declaration_texts WHERE version = 2 AND lang = 'it');
-- +goose StatementEnd
