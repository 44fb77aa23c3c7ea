variable "subaccount_id" {
  type = string
}

variable "name" {
  type = string
}

variable "url" {
  description = "SAP Cloud ALM URL: the service key's endpoints.Api without the final api"
  type        = string
}

variable "client_id" {
  type = string
}

variable "client_secret" {
  type      = string
  sensitive = true
}

variable "token_url" {
  type = string
}
