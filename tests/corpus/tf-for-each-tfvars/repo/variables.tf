variable "subaccount_id" {
  type = string
}

variable "zone" {
  type    = string
  default = "acme"
}

variable "destinations" {
  description = "Destinations by name"
  type = map(object({
    url            = string
    client_id      = string
    client_secret  = optional(string, "")
    token_url_type = optional(string, "Dedicated")
  }))
  default = {}
}
