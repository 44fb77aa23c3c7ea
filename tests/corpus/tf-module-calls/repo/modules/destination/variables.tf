variable "subaccount_id" {
  type = string
}

variable "name" {
  type = string
}

variable "url" {
  type = string
}

variable "proxy_type" {
  type    = string
  default = "Internet"
}

variable "authentication" {
  type    = string
  default = "OAuth2ClientCredentials"
}

variable "description" {
  type    = string
  default = null
}

variable "additional_configuration" {
  type      = map(string)
  default   = {}
  sensitive = true
}
