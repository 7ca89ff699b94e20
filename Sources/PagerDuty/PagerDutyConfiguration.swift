#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Values

/// Where and how the client talks to PagerDuty.
public struct PagerDutyConfiguration: Sendable {
    /// `us` or `eu`.
    public var region: String
    /// The REST API host (`https://api.pagerduty.com`, or the EU one, or an override).
    public var restBase: URL
    /// The Events API host (`https://events.pagerduty.com`, or the EU one, or an override).
    public var eventsBase: URL
    /// The OAuth token host (`identity.pagerduty.com`).
    public var identityBase: URL
    /// Seconds one HTTP request may take.
    public var timeout: Double
    /// How temporary failures are retried.
    public var retry: RetryPolicy
    /// Events per window per routing key that the client paces itself to.
    public var eventsRateLimit: Int
    /// Seconds of the window `eventsRateLimit` counts over.
    public var eventsRateWindow: Double
    /// `User-Agent`.
    public var userAgent: String
    /// A PEM file of CA certificates trusted for https instead of the system's (a TLS-inspecting
    /// proxy's CA, say); nil for the system's.
    public var caBundle: String?

    /// The defaults of a region, with optional host overrides (Rundeck's
    /// `framework.pagerduty.service.url` for Events, `framework.pagerduty.api.url` for REST).
    public static func make(
        region: String = "us", restURL: String? = nil, eventsURL: String? = nil, identityURL: String? = nil,
        timeout: Double = 30, retry: RetryPolicy = RetryPolicy(), eventsRateLimit: Int = 120, eventsRateWindow: Double = 60,
        userAgent: String, caBundle: String? = nil
    ) throws(PagerDutyError) -> PagerDutyConfiguration {
        let normalizedRegion = region.trimmingSpaces().lowercased()
        guard normalizedRegion == "us" || normalizedRegion == "eu" else {
            throw PagerDutyError(.invalidRequest, "pagerduty.region must be us or eu, not '\(region)'")
        }
        let eu = normalizedRegion == "eu"
        func url(_ text: String?, _ fallback: String, _ name: String) throws(PagerDutyError) -> URL {
            let value = (text?.isEmpty == false ? text : nil) ?? fallback
            guard let parsed = URL(string: value.hasSuffix("/") ? String(value.dropLast()) : value), let scheme = parsed.scheme?.lowercased(),
                scheme == "https" || scheme == "http", let host = parsed.host, !host.isEmpty
            else {
                throw PagerDutyError(.invalidRequest, "\(name) '\(value)' is not an http(s) URL")
            }
            if scheme == "http" && !isLoopback(host) {
                throw PagerDutyError(.invalidRequest, "\(name) '\(value)' uses plain HTTP to a host that is not this machine; keys never travel unencrypted, so use https (http is allowed only for 127.0.0.1 and localhost)")
            }
            return parsed
        }
        return PagerDutyConfiguration(
            region: normalizedRegion,
            restBase: try url(restURL, eu ? "https://api.eu.pagerduty.com" : "https://api.pagerduty.com", "framework.pagerduty.api.url"),
            eventsBase: try url(eventsURL, eu ? "https://events.eu.pagerduty.com" : "https://events.pagerduty.com", "framework.pagerduty.service.url"),
            identityBase: try url(identityURL, eu ? "https://identity.eu.pagerduty.com" : "https://identity.pagerduty.com", "pagerduty.identity.url"),
            timeout: timeout, retry: retry, eventsRateLimit: eventsRateLimit, eventsRateWindow: eventsRateWindow, userAgent: userAgent,
            caBundle: caBundle)
    }

    /// Whether `host` is this machine (see `isLoopbackHost`).
    public static func isLoopback(_ host: String) -> Bool { isLoopbackHost(host) }
}

/// Retry bounds for temporary failures (network, 408, 429, 5xx).
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts per request, the first included.
    public var maxAttempts: Int
    /// Longest total time spent on one request, waits included.
    public var maxSeconds: Double
    /// First backoff delay; each later one doubles (with jitter), up to `maxDelay`.
    public var initialDelay: Double
    /// The longest backoff between two attempts.
    public var maxDelay: Double

    /// A policy; the defaults are pdstep's (5 attempts, 120 s, 1 s first delay, 30 s longest).
    public init(maxAttempts: Int = 5, maxSeconds: Double = 120, initialDelay: Double = 1, maxDelay: Double = 30) {
        self.maxAttempts = max(1, maxAttempts)
        self.maxSeconds = maxSeconds
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
    }

    /// Backoff before attempt `attempt` (2 for the first retry): exponential with full jitter
    /// in its upper half.
    func backoff(before attempt: Int) -> Double {
        let base = min(maxDelay, initialDelay * pow(2, Double(max(0, attempt - 2))))
        return base / 2 + Double.random(in: 0...(base / 2))
    }
}
