import { Type } from 'typebox';
import { Id, Message, Password, Token, responses } from './common.js';

export const RegisterBody = Type.Object({ user_id: Id, password: Password });
export const LoginBody = Type.Object({ user_id: Id, password: Password, terminal: Token });
export const LogoutBody = Type.Object({ user_id: Id });
export const PasswordBody = Type.Object({ user_id: Id, oldPassword: Password, newPassword: Password });

export const MeQuery = Type.Object({ user_id: Id });
export const Account = Type.Object({
  message: Type.String(),
  user_id: Type.String(),
  balance: Type.Integer({ description: 'cents the user can spend or withdraw' }),
  escrow: Type.Integer({ description: 'cents paid for orders not yet received (paid or shipped)' }),
  stores: Type.Array(Type.Object({ store_id: Type.String(), closed: Type.Boolean() })),
});

export const authSchemas = {
  register: { body: RegisterBody, response: responses(Message, [512]) },
  unregister: { body: RegisterBody, response: responses(Message, [401, 526]) },
  login: {
    body: LoginBody,
    response: responses(Type.Object({ message: Type.String(), token: Type.String() }), [401]),
  },
  logout: { body: LogoutBody, response: responses(Message, [401]) },
  password: { body: PasswordBody, response: responses(Message, [401]) },
  me: { querystring: MeQuery, response: responses(Account, [401]) },
};
