/// A setting pdstep reads, with its default. This table is the one list of them: `config show`
/// prints the defaults from it and framework.properties.example documents each entry.
public struct KnownSetting: Sendable, Hashable {
    /// The setting's name (`pagerduty.region`).
    public var key: String
    /// The value used when no file or flag sets it ("" means "not set").
    public var defaultValue: String
    /// What it does, for `framework.properties.example` and `config show`.
    public var description: String

    /// A setting, its default and what it does.
    public init(_ key: String, default defaultValue: String, _ description: String) {
        self.key = key
        self.defaultValue = defaultValue
        self.description = description
    }
}

/// Every setting pdstep reads.
public enum KnownSettings {
    /// `pdstep.storage.dir`.
    public static let storageDir = KnownSetting(
        "pdstep.storage.dir", default: "./storage",
        "Key storage folder (Rundeck's file layout: content/keys/... and meta/keys/...). --storage overrides it.")
    /// `pdstep.state.dir`.
    public static let stateDir = KnownSetting(
        "pdstep.state.dir", default: "",
        "Folder of what pdstep remembers between runs (the durations onavgduration notifications average). Unset: state/ under the key-storage folder.")
    /// `pagerduty.region`.
    public static let region = KnownSetting(
        "pagerduty.region", default: "us",
        "PagerDuty service region, us or eu; picks the default REST and Events hosts.")
    /// `framework.pagerduty.service.url`.
    public static let eventsURL = KnownSetting(
        "framework.pagerduty.service.url", default: "",
        "Events API host, overriding the region's (Rundeck's property name), e.g. https://events.eu.pagerduty.com.")
    /// `framework.pagerduty.api.url`.
    public static let apiURL = KnownSetting(
        "framework.pagerduty.api.url", default: "",
        "REST API host, overriding the region's, e.g. https://api.eu.pagerduty.com.")
    /// `pagerduty.identity.url`.
    public static let identityURL = KnownSetting(
        "pagerduty.identity.url", default: "",
        "OAuth token host, overriding the region's (https://identity.pagerduty.com).")
    /// `project.pagerduty.api_key_path`.
    public static let projectAPIKeyPath = KnownSetting(
        "project.pagerduty.api_key_path", default: "",
        "Key-storage path of the REST API key for steps that set none (project level).")
    /// `pagerduty.api_key_path`.
    public static let apiKeyPath = KnownSetting(
        "pagerduty.api_key_path", default: "keys/pd/api",
        "Key-storage path of the REST API key for steps that set none (framework level).")
    /// `project.pagerduty.routing_key_path`.
    public static let projectRoutingKeyPath = KnownSetting(
        "project.pagerduty.routing_key_path", default: "",
        "Key-storage path of the Events API integration (routing) key for event steps that set none (project level).")
    /// `pagerduty.routing_key_path`.
    public static let routingKeyPath = KnownSetting(
        "pagerduty.routing_key_path", default: "keys/pd/routing_key",
        "Key-storage path of the Events API integration (routing) key for event steps that set none (framework level).")
    /// `project.pagerduty.from_email`.
    public static let projectFromEmail = KnownSetting(
        "project.pagerduty.from_email", default: "",
        "Email of the PagerDuty user sent as From on writes, for steps that set none (project level).")
    /// `pagerduty.from_email`.
    public static let fromEmail = KnownSetting(
        "pagerduty.from_email", default: "",
        "Email of the PagerDuty user sent as From on writes, for steps that set none (framework level).")
    /// `pagerduty.oauth.client_id_path`.
    public static let oauthClientIDPath = KnownSetting(
        "pagerduty.oauth.client_id_path", default: "",
        "Key-storage path of a scoped OAuth app's client id (client-credentials grant), used instead of an API key.")
    /// `pagerduty.oauth.client_secret_path`.
    public static let oauthClientSecretPath = KnownSetting(
        "pagerduty.oauth.client_secret_path", default: "",
        "Key-storage path of that app's client secret.")
    /// `pagerduty.oauth.scope`.
    public static let oauthScope = KnownSetting(
        "pagerduty.oauth.scope", default: "",
        "Scopes the token asks for, space-separated (as_account-us.SUBDOMAIN incidents.write ...).")
    /// `pagerduty.subdomain`.
    public static let subdomain = KnownSetting(
        "pagerduty.subdomain", default: "",
        "The account's subdomain, for directory export access lists (otherwise taken from the html_url of what is exported).")
    /// `pagerduty.outbox.dir`.
    public static let outboxDir = KnownSetting(
        "pagerduty.outbox.dir", default: "",
        "Folder where events that could not be delivered are kept (instead of lost) until `pdstep outbox flush` sends them. --outbox sets it.")
    /// `pagerduty.tls.ca_bundle`.
    public static let caBundle = KnownSetting(
        "pagerduty.tls.ca_bundle", default: "",
        "A PEM file of CA certificates to trust for https instead of the system's, for a proxy that inspects TLS.")
    /// `pagerduty.timeout`.
    public static let timeout = KnownSetting(
        "pagerduty.timeout", default: "30",
        "Seconds one HTTP request to PagerDuty may take.")
    /// `pagerduty.retry.max_attempts`.
    public static let retryMaxAttempts = KnownSetting(
        "pagerduty.retry.max_attempts", default: "5",
        "Attempts per request (first try included) for temporary failures (network, 429, 5xx).")
    /// `pagerduty.retry.max_seconds`.
    public static let retryMaxSeconds = KnownSetting(
        "pagerduty.retry.max_seconds", default: "120",
        "Longest total time spent retrying one request.")

    /// `pagerduty.retry.initial_delay`.
    public static let retryInitialDelay = KnownSetting(
        "pagerduty.retry.initial_delay", default: "1",
        "Seconds before the first retry; each later wait doubles (with jitter), up to 30 s.")
    /// `pagerduty.events.rate_limit`.
    public static let eventsRateLimit = KnownSetting(
        "pagerduty.events.rate_limit", default: "120",
        "Events per routing key that pdstep sends per window (PagerDuty's documented limit), so a burst slows down instead of collecting 429s.")
    /// `pagerduty.events.rate_window`.
    public static let eventsRateWindow = KnownSetting(
        "pagerduty.events.rate_window", default: "60",
        "Seconds of that window.")

    /// `pagerduty.webhook.secret_path`.
    public static let webhookSecretPath = KnownSetting(
        "pagerduty.webhook.secret_path", default: "keys/pd/webhook",
        "Key-storage path(s), comma-separated, of the v3 webhook subscription secret(s) `pdstep serve` checks signatures with (several during a rotation).")
    /// `pdstep.serve.retention`.
    public static let serveRetention = KnownSetting(
        "pdstep.serve.retention", default: "30d",
        "How long `pdstep serve` keeps finished events (a redelivery of one is still recognised) and executions' records and logs: a Rundeck duration (30d, 12h).")
    /// `pdstep.mail.url`.
    public static let mailURL = KnownSetting(
        "pdstep.mail.url", default: "",
        "SMTP relay for email notifications: smtp://host:587 (STARTTLS) or smtps://host:465. Unset: email notifications are not sent (validate and run say so).")
    /// `pdstep.mail.from`.
    public static let mailFrom = KnownSetting(
        "pdstep.mail.from", default: "",
        "Sender address of email notifications (required with pdstep.mail.url).")
    /// `pdstep.mail.user`.
    public static let mailUser = KnownSetting(
        "pdstep.mail.user", default: "",
        "User name to log in to the relay with (default: pdstep.mail.from when a password is set).")
    /// `pdstep.mail.password_path`.
    public static let mailPasswordPath = KnownSetting(
        "pdstep.mail.password_path", default: "",
        "Key-storage path of the relay password; unset: no login.")
    /// `pdstep.mail.tls`.
    public static let mailTLS = KnownSetting(
        "pdstep.mail.tls", default: "required",
        "required: smtp:// must upgrade with STARTTLS or nothing is sent; none: plain SMTP, for a relay on this machine (refused with a password unless the relay is on loopback).")
    /// `pdstep.mail.ca_bundle`.
    public static let mailCABundle = KnownSetting(
        "pdstep.mail.ca_bundle", default: "",
        "A PEM file of CA certificates to trust for the relay's TLS instead of the system's.")

    /// The table by key.
    public static let byKey: [String: KnownSetting] = Dictionary(all.map { ($0.key, $0) }) { first, _ in first }

    /// The whole table, in the order framework.properties.example lists it.
    public static let all: [KnownSetting] = [
        storageDir, stateDir, region, eventsURL, apiURL, identityURL, projectAPIKeyPath, apiKeyPath, projectRoutingKeyPath, routingKeyPath,
        projectFromEmail, fromEmail, oauthClientIDPath, oauthClientSecretPath, oauthScope, subdomain, outboxDir, caBundle, timeout, retryMaxAttempts, retryMaxSeconds, retryInitialDelay, eventsRateLimit, eventsRateWindow,
        webhookSecretPath, serveRetention, mailURL, mailFrom, mailUser, mailPasswordPath, mailTLS, mailCABundle,
    ]
}
