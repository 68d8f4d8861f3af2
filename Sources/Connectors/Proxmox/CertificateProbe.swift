import CCurlShim

/// Learns a server's leaf certificate without sending it anything but a TLS
/// handshake: no HTTP request, so no credential, leaves before the
/// certificate is compared with its pin (CURLOPT_CONNECT_ONLY).
public enum CertificateProbe {
    public static func fetch(url: String, timeout: Double = 10) -> Result<LeafCertificate, HTTPError> {
        func failure(_ reason: HTTPError.Reason, _ detail: String) -> Result<LeafCertificate, HTTPError> {
            .failure(HTTPError(reason: reason, method: "TLS", url: url, detail: detail))
        }
        guard url.hasPrefix("https://") else { return failure(.tls, "not an https:// URL") }
        if let message = HTTPClient.loadError() { return failure(.unavailable, message) }
        guard let handle = ccurl_transfer_new(1 << 16), let multi = ccurl_multi_new() else {
            return failure(.unavailable, "cannot create a curl handle")
        }
        defer {
            ccurl_transfer_free(handle)
            ccurl_multi_free(multi)
        }
        let ms = HTTPRequest.milliseconds(timeout) ?? 10_000
        var refused = false
        for (option, value) in [(CURLOPT_CONNECT_ONLY, 1), (CURLOPT_CERTINFO, 1), (CURLOPT_SSL_VERIFYPEER, 0),
                                (CURLOPT_SSL_VERIFYHOST, 0), (CURLOPT_TIMEOUT_MS, ms), (CURLOPT_CONNECTTIMEOUT_MS, ms)] {
            refused = refused || ccurl_setopt_long(handle, option, value) != 0
        }
        refused = refused || ccurl_setopt_str(handle, CURLOPT_URL, url) != 0
            || ccurl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "https") != 0
        if refused { return failure(.protocol, "libcurl refused an option") }
        guard ccurl_multi_add(multi, handle) == 0 else { return failure(.protocol, "curl_multi_add_handle failed") }
        var code = CURLE_OK
        while true {
            var running: Int32 = 0
            _ = ccurl_multi_perform(multi, &running)
            if ccurl_multi_next_done(multi, &code) != nil { break }
            _ = ccurl_multi_poll(multi, -1, 100)
        }
        _ = ccurl_multi_remove(multi, handle)
        guard code == CURLE_OK else {
            let said = withUnsafeBytes(of: handle.pointee.errbuf) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let text = said.isEmpty ? String(cString: ccurl_strerror(code)) : said
            switch code {
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST: return failure(.connect, "cannot connect (\(text))")
            case CURLE_OPERATION_TIMEDOUT: return failure(.timeout, "timed out after \(seconds(timeout)) s")
            default: return failure(.tls, "TLS handshake failed (\(text))")
            }
        }
        guard let leaf = leafCertificate(handle) else { return failure(.tls, "the server sent no certificate") }
        return .success(leaf)
    }

    /// The first certificate of CURLINFO_CERTINFO (the leaf), from its
    /// "Cert:" PEM and its "Subject:", "Issuer:", "Expire date:" lines.
    static func leafCertificate(_ handle: UnsafeMutablePointer<ccurl_transfer>) -> LeafCertificate? {
        guard let raw = ccurl_getinfo_str(handle, CURLINFO_CERTINFO) else { return nil }
        let info = UnsafeRawPointer(raw).assumingMemoryBound(to: curl_certinfo.self).pointee
        guard info.num_of_certs > 0, let chains = info.certinfo, var item = chains[0] else { return nil }
        var fields: [String: String] = [:]
        while true {
            let line = String(cString: item.pointee.data)
            if let colon = line.firstIndex(of: ":") {
                fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
            }
            guard let next = item.pointee.next else { break }
            item = next
        }
        guard let pem = fields["Cert"], let der = LeafCertificate.der(pem: pem) else { return nil }
        return LeafCertificate(der: der, subject: fields["Subject"] ?? "", issuer: fields["Issuer"] ?? "",
                               expires: fields["Expire date"] ?? "")
    }
}
