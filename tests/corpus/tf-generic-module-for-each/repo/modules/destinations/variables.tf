variable "subaccount_id" {
  type = string
}

variable "destinations" {
  type = map(map(string))
}
