-- labsh.base64: base64 with the URL- and filename-safe alphabet (RFC 4648
-- section 5), padded: what the Pushgateway reads after "@base64".

local base64 = {}

local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local function letter(index)
  return ALPHABET:sub(index + 1, index + 1)
end

--- `bytes` in URL-safe base64, with "=" padding.
function base64.url_encode(bytes)
  local out = {}
  for i = 1, #bytes, 3 do
    local a, b, c = bytes:byte(i, i + 2)
    local group = (a << 16) | ((b or 0) << 8) | (c or 0)
    out[#out + 1] = letter(group >> 18 & 63) .. letter(group >> 12 & 63)
      .. (b and letter(group >> 6 & 63) or "=") .. (c and letter(group & 63) or "=")
  end
  return table.concat(out)
end

return base64
