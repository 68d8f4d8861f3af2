-- certificate-renewal: TLS certificate expiry as a Nagios check; renews those due.
--
-- TLS certificate expiry of service endpoints as a
-- Monitoring Plugins check (plan §5.2: P2 under 7 days, P3 under 30), and
-- optionally the renewal of those due.
--
--   labsh -m certificate-renewal --cert 127.0.0.1:8443 [--cert HOST:PORT]...
--   labsh -m certificate-renewal --cert HOST:PORT --renew 'certbot renew --cert-name web'
--
-- CERTIFICATES OK (all > 30 days), WARNING (P3: one under 30), CRITICAL (P2:
-- one under 7 or expired), UNKNOWN (no endpoint given, or one unreachable);
-- exit 0-3. --renew runs a command for each certificate under 30 days,
-- through the mutation gate (--dry-run, a person confirms, cron: --yes).

local review = require "labsh.review"

-- A Monitoring Plugins check: a usage error is UNKNOWN, exit 3.
return labsh.script {
  name = "certificate-renewal", check = "CERTIFICATES",
  description = "TLS expiry of endpoints as a check (P2 < 7 d, P3 < 30 d); --renew runs a renewal",
  params = {
    { "--cert", "HOST:PORT", "an endpoint to check (repeatable)", multiple = true },
    { "--renew", "COMMAND", "run COMMAND (sh -c; $ENDPOINT set) for each certificate under 30 days" },
    { "--now", "TIME", "as of TIME (Unix seconds or RFC 3339)", type = "time" },
  },
  exit = "0 OK, 1 WARNING (one under 30 days), 2 CRITICAL (one under 7), 3 UNKNOWN (also a usage error)",
  requires = {
    commands = { "openssl", "sh" },  -- each certificate's expiry; --renew COMMAND (sh -c)
    mutation = true,                 -- the renewal
  },
  run = function(_, opts)
    -- any failure is UNKNOWN, exit 3 (lab.check.guard)
    lab.check.guard("CERTIFICATES", function()
      local now = opts.now or os.time()
      if #opts.cert == 0 then
        lab.check { name = "CERTIFICATES", status = "UNKNOWN", text = "no endpoints given (--cert HOST:PORT)" }
      end
      local perfdata, soonest, notes, unknown = {}, nil, {}, false
      for _, endpoint in ipairs(opts.cert) do
        local ok, expiry = pcall(review.certificate_expiry, endpoint)
        if ok then
          local days = math.floor((expiry - now) / 86400)
          perfdata[#perfdata + 1] = { label = endpoint .. " days", value = days, warn = "30:", crit = "7:" }
          if not soonest or days < soonest then soonest = days end
          if days < 30 then
            notes[#notes + 1] = ("%s expires in %d days (%s)"):format(endpoint, days, days < 7 and "P2" or "P3")
            if opts.renew then
              require("labsh.gate").perform({ action = "certificate.renew", target = endpoint,
                                              summary = "renew the certificate: " .. opts.renew }, function()
                local r = lab.process.run { argv = { "sh", "-c", opts.renew }, env = { ENDPOINT = endpoint }, timeout = 600 }
                if r.status ~= 0 then error(("renewal of %s exited %s: %s"):format(endpoint, tostring(r.status), r.stderr), 0) end
              end)
            end
          end
        else
          unknown = true
          notes[#notes + 1] = tostring(expiry)
        end
      end
      if unknown and not soonest then
        lab.check { name = "CERTIFICATES", status = "UNKNOWN", text = table.concat(notes, "; ") }
      end
      local text = #notes == 0 and ("%d certificates, the next expires in %d days"):format(#opts.cert, soonest)
        or table.concat(notes, "; ")
      lab.check { name = "CERTIFICATES", value = soonest, warn = "30:", crit = "7:", label = "soonest days",
                  text = text, perfdata = perfdata }
    end)
  end,
}
