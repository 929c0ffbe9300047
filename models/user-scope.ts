import { DataTypes, Model, type Sequelize } from 'sequelize';

/** One node of a user's scope; orgUnitId null means the whole client. */
export class UserScope extends Model {
  declare id: string;
  declare clientId: string;
  declare userId: string;
  declare orgUnitId: string | null;
  declare createdAt: Date;

  static initModel(sequelize: Sequelize): void {
    UserScope.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        clientId: { type: DataTypes.UUID, allowNull: false },
        userId: { type: DataTypes.UUID, allowNull: false },
        orgUnitId: { type: DataTypes.UUID },
      },
      { sequelize, tableName: 'user_scopes', underscored: true, updatedAt: false },
    );
  }
}
