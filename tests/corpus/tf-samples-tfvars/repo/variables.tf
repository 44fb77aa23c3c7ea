variable "globalaccount" {
  type        = string
  description = "The subdomain of the global account."
}

variable "subaccount_id" {
  type = string
}

variable "calm_url" {
  type        = string
  description = "The service key's endpoints.Api without the final api."
  default     = "https://acme.eu10.alm.cloud.sap/"
}

variable "calm_token_url_type" {
  type    = string
  default = "Dedicated"
}

variable "calm_client_secret" {
  type      = string
  sensitive = true
}
