export interface SignInOptions {
  account: { name: string; subdomain: string; locale: string };
  sso: { enabled: boolean; method: 'saml' | 'jwt' | null; url: string };
  password_policy: { min_length: number; max_length: number; history_size: number; email_local_part_min_length: number };
}

export interface Me {
  id: number;
  name: string;
  email: string;
  role: 'end-user' | 'agent' | 'admin';
  authenticity_token?: string;
}

export interface Session {
  id: number;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  current: boolean;
}

export type SignInAnswer =
  | { status: 'signed_in'; user: Me; authenticity_token: string }
  | { status: 'password_change_required'; change_token: string; expires_at: string };
