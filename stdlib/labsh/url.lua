-- labsh.url: percent-encoding for the URL paths labsh builds.

local url = {}

--- `text` with every byte but the unreserved ones (RFC 3986: letters,
--- digits, - . _ ~) percent-encoded: safe as one path segment.
function url.escape(text)
  return (tostring(text):gsub("[^%w%-%._~]", function(char)
    return ("%%%02X"):format(char:byte())
  end))
end

return url
